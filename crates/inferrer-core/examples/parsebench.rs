use std::time::Instant;
fn main() {
    let data = std::fs::read("/tmp/same.bin").unwrap();
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    println!("{} lines, {} bytes", lines.len(), data.len());
    let t = Instant::now();
    for l in &lines { let _: serde_json::Value = serde_json::from_slice(l).unwrap(); }
    println!("serde Value {:?}", t.elapsed());
    let t = Instant::now();
    for l in &lines { let _: serde::de::IgnoredAny = serde_json::from_slice(l).unwrap(); }
    println!("ignored {:?}", t.elapsed());
    let t = Instant::now();
    for l in &lines { let _ = inferrer_core::value::parse(l).unwrap(); }
    println!("ours {:?}", t.elapsed());
}
