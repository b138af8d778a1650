// mimalloc instead of the system allocator: candle allocates a fresh buffer for every tensor op, and
// glibc hands buffers of more than a few hundred kB back to the kernel on free, so each op paid page
// faults and zeroing again (30 % of an ECCT CPU training step in `perf`; 12 steps at batch 128 of the
// `train_ecct` example, one thread: 16.1 s with glibc's allocator, 11.2 s with mimalloc).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mimalloc.h` (libmimalloc-sys names no constant for it;
/// the test below checks the index still holds that option's default).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps memory mimalloc got from the kernel instead of handing freed pages back after its purge
/// delay (1 s by default): a UT training step allocates and frees GBs of large tensors, and each
/// returned page came back as a page fault plus zeroing on its next use. What it buys is measured by
/// `cargo bench -p lmsscc-neural --bench jscc_training`: on a quiet machine a UT step 1.17x faster
/// (half the minor faults), DeepSC unchanged; beside two other trainings, 8 UT steps took 66 s with
/// purging and 30 s without (12.6 M against 4,630 faults). The price is that the process keeps its
/// peak footprint. `MIMALLOC_PURGE_DELAY` in the environment still wins.
fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option; mimalloc reads options atomically.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
    }
}

fn main() -> std::process::ExitCode {
    keep_freed_memory();
    lmsscc::cli::main()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads and sets one integer option.
        unsafe {
            // mimalloc v3's default purge delay; the neighbouring options default to other values.
            assert_eq!(libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY), 1000, "not mi_option_purge_delay");
            keep_freed_memory();
            assert_eq!(libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY), -1);
        }
    }
}
