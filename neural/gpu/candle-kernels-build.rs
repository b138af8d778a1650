use cudaforge::{KernelBuilder, Result};
use std::env;
use std::path::PathBuf;

const CUTILE_FEATURE: &str = "CARGO_FEATURE_CUTILE";

fn main() -> Result<()> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=src");
    println!("cargo::rerun-if-changed=src/compatibility.cuh");
    println!("cargo::rerun-if-changed=src/cuda_utils.cuh");
    println!("cargo::rerun-if-changed=src/binary_op_macros.cuh");

    // Build for PTX
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let ptx_path = out_dir.join("ptx.rs");
    let bindings = KernelBuilder::new()
        .source_dir("src") // Scan src/ for .cu files
        .exclude(&["moe_*.cu", "mmvq_gguf.cu", "mmq_*.cu"]) // Exclude statically compiled kernels from ptx build
        .arg("--expt-relaxed-constexpr")
        .arg("-std=c++17")
        .arg("-O3")
        .build_ptx()?;

    bindings.write(&ptx_path)?;

    // lmsscc CUDA build: the MoE/GGUF static kernels are not used by ECCT; link abort() stubs instead
    // of spending ~1 h compiling them on a 2-core machine.
    let obj = out_dir.join("moe_stub.o");
    let ok = std::process::Command::new("gcc").args(["-c", "-fPIC", "-O1", "moe_stub.c", "-o"]).arg(&obj).status().unwrap().success();
    assert!(ok, "gcc moe_stub.c failed");
    let ok = std::process::Command::new("ar").arg("crs").arg(out_dir.join("libmoe.a")).arg(&obj).status().unwrap().success();
    assert!(ok, "ar failed");
    println!("cargo:rustc-link-search={}", out_dir.display());
    println!("cargo:rustc-link-lib=static=moe");
    Ok(())
}
