//! Seeded random streams.
//!
//! A Monte-Carlo result must not depend on the number of threads, so every unit of work (a batch of
//! frames at one SNR point of one scheme) draws from its own stream, derived from the run seed and
//! the unit's ids. The ids are mixed with SplitMix64 (a bijective, well-tested 64-bit finalizer) into
//! a 256-bit ChaCha8 key. ChaCha8 is fast, has a documented, version-stable output for a given key
//! (rand_chacha guarantees value stability), and is cryptographically strong enough that streams
//! with neighbouring ids are independent for simulation purposes.

use rand::SeedableRng;

/// The generator every stochastic part of the simulator uses.
pub type StreamRng = rand_chacha::ChaCha8Rng;

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream for `seed` and a path of ids, e.g. `stream(seed, &[scheme, snr_point, batch])`.
pub fn stream(seed: u64, ids: &[u64]) -> StreamRng {
    let mut h = splitmix64(seed);
    for &id in ids {
        h = splitmix64(h ^ splitmix64(id.wrapping_add(0x51_7CC1_B727_220A)));
    }
    let mut key = [0u8; 32];
    let mut s = h;
    for chunk in key.chunks_mut(8) {
        s = splitmix64(s);
        chunk.copy_from_slice(&s.to_le_bytes());
    }
    StreamRng::from_seed(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn same_ids_same_stream_different_ids_differ() {
        let a: Vec<u64> = (0..4).map(|_| 0).scan(stream(7, &[1, 2, 3]), |r, _| Some(r.random())).collect();
        let b: Vec<u64> = (0..4).map(|_| 0).scan(stream(7, &[1, 2, 3]), |r, _| Some(r.random())).collect();
        let c: Vec<u64> = (0..4).map(|_| 0).scan(stream(7, &[1, 2, 4]), |r, _| Some(r.random())).collect();
        let d: Vec<u64> = (0..4).map(|_| 0).scan(stream(8, &[1, 2, 3]), |r, _| Some(r.random())).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        // Order of ids matters: (1, 2) and (2, 1) are different work units.
        let e: u64 = stream(7, &[2, 1, 3]).random();
        assert_ne!(a[0], e);
    }
}
