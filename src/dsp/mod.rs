//! Signal processing the metrics and the audio schemes share: the FFT ([`fft`]), the orthonormal
//! DCT ([`dct`]) and rational resampling with Octave's filter ([`resample`]).

pub mod dct;
pub mod fft;
pub mod resample;
