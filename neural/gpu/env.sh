export CUDA_ROOT=/work/cudatk/x/nvidia/cu13
export CUDA_HOME=$CUDA_ROOT
export PATH=$CUDA_ROOT/bin:$CUDA_ROOT/nvvm/bin:$PATH
export CUDA_COMPUTE_CAP=90
export RUSTFLAGS="-L native=/work/cudatk/stubs"
export CARGO_TARGET_DIR=/work/main/target-cuda
