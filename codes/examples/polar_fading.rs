//! A 5G polar code on Rayleigh block fading with and without TS 38.212's coded-bit interleaver
//! (I_BIL): frame errors of CA-SCL-8 per Es/N0, both layouts on the same gains and noise.
//! BPSK, a CN(0, 1) gain per `BLOCK` symbols (restarting at each codeword), perfect CSI.
//!
//! `[A=127] [RATE=0.45] [BLOCK=49] [FRAMES=20000] [ESN0=3,6,9,12] cargo run --release -p lmsscc-codes --example polar_fading`
use channels::rng::stream;
use channels::{Channel, Csi, Fading, RayleighChannel};
use codes::polar::{Crc, PolarCode, PolarDecoder};
use rand::Rng;
use std::sync::Arc;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let (a, rate, block, frames): (usize, f64, usize, usize) =
        (env("A", 127), env("RATE", 0.45), env("BLOCK", 49), env("FRAMES", 20_000));
    let points: Vec<f64> =
        env("ESN0", "3,6,9,12".to_string()).split(',').map(|x| x.trim().parse().expect("ESN0: numbers")).collect();
    let e = (a as f64 / rate).ceil() as usize;
    let plain = PolarCode::nr(a, e, Crc::CRC11).expect("a 5G polar code for A and E");
    let spread = plain.clone().with_coded_bit_interleaving();
    let decoders = [PolarDecoder::scl(Arc::new(plain), 8), PolarDecoder::scl(Arc::new(spread), 8)];
    let channel = RayleighChannel::new(Fading::Block { symbols: block }, Csi::Perfect, 1.0);
    println!("{} + CA-SCL-8, {}, {frames} frames a point", decoders[0].code().name(), channel.name());
    println!("| Es/N0 (dB) | BLER plain | BLER I_BIL |\n|---|---|---|");
    for esn0 in points {
        let sigma = (0.5 / 10f64.powf(esn0 / 10.0)).sqrt() as f32;
        let mut rng = stream(7, &[esn0.to_bits()]);
        let mut errors = [0usize; 2];
        let (mut rx, mut gain, mut llr) = (vec![0f32; e], vec![0f32; e], vec![0f32; e]);
        let (mut codeword, mut decided) = (vec![0u8; e], vec![0u8; a]);
        let mut scratch: Vec<_> = decoders.iter().map(|d| d.scratch()).collect();
        for _ in 0..frames {
            let payload: Vec<u8> = (0..a).map(|_| rng.random_range(0..2u8)).collect();
            // One draw of gains and noise (for x = +1) serves both layouts: y = g·x + n.
            channel.transmit(&vec![1.0; e], e, 1, sigma, &mut rng, &mut rx, &mut gain);
            for ((d, s), errs) in decoders.iter().zip(&mut scratch).zip(&mut errors) {
                d.code().encode(&payload, &mut codeword);
                for k in 0..e {
                    let x = 1.0 - 2.0 * codeword[k] as f32;
                    let y = gain[k] * x + (rx[k] - gain[k]);
                    llr[k] = 2.0 * gain[k] * y / (sigma * sigma);
                }
                d.decode_frame(&llr, &mut decided, s);
                *errs += (decided != payload) as usize;
            }
        }
        let bler = |n: usize| format!("{:.2e} [{n}]", n as f64 / frames as f64);
        println!("| {esn0} | {} | {} |", bler(errors[0]), bler(errors[1]));
    }
}
