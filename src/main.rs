// mimalloc instead of the system allocator: candle allocates a fresh buffer for every tensor op, and
// glibc hands buffers of more than a few hundred kB back to the kernel on free, so each op paid page
// faults and zeroing again (30 % of an ECCT CPU training step in `perf`; 12 steps at batch 128 of the
// `train_ecct` example, one thread: 16.1 s with glibc's allocator, 11.2 s with mimalloc).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    lmsscc::cli::main()
}
