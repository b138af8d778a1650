export CUDA_ROOT=/work/cudatk/x/nvidia/cu13
export CUDA_HOME=$CUDA_ROOT
export PATH=$CUDA_ROOT/bin:$CUDA_ROOT/nvvm/bin:$PATH
export CUDA_COMPUTE_CAP=90
# RUSTFLAGS replaces .cargo/config.toml's flags, so the x86-64-v3 target is repeated here.
export RUSTFLAGS="-L native=/work/cudatk/stubs -C target-cpu=x86-64-v3"
export CARGO_TARGET_DIR=/work/main/target-cuda
