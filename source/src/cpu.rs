//! Which x86-64 instruction sets this CPU has, for the kernels that pick one at run time
//! ([`crate::q8_matmul`], [`crate::q4_1_matmul`], [`crate::llama_attention`]). Each kernel gives
//! the same bits on every set it supports (tested there), so the choice changes speed only.
//! Always `false` on other architectures (the kernels' plain or candle paths run there).

/// AVX-512 F, BW and VNNI (512-bit integer dot products).
pub fn avx512_vnni() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// AVX-512 F (512-bit floats and f16 conversion).
pub fn avx512f() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// AVX2 and FMA.
pub fn avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// AVX2, FMA and F16C (f16 conversion).
pub fn avx2_fma_f16c() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        avx2_fma() && is_x86_feature_detected!("f16c")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}
