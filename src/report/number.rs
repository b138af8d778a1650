//! How the report's tables write a number.

/// A number as the tables show it: to 4 decimals without trailing zeros (4 significant digits in
/// scientific notation below 1e-3 and from 1e5 on), empty when absent or not finite.
pub fn num(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => {
            if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e5) {
                format!("{x:.3e}")
            } else {
                format!("{:.4}", x).trim_end_matches('0').trim_end_matches('.').to_string()
            }
        }
        _ => String::new(),
    }
}
