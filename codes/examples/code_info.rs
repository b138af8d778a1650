//! Prints `LdpcCode::info()` for each file given on the command line (what `sim codes info` shows).
fn main() {
    for path in std::env::args().skip(1) {
        match codes::LdpcCode::from_file(&path) {
            Ok(code) => println!("{code}"),
            Err(e) => eprintln!("error: {e}"),
        }
    }
}
