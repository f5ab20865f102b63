use inferrer_core::decode::{decode, RecordRef};
use inferrer_core::observe::Observations;
use std::time::Instant;
fn main() {
    let data = std::fs::read("/tmp/same.bin").unwrap();
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    let headers = vec![];
    for _ in 0..3 {
        let t = Instant::now();
        for l in &lines { let _ = inferrer_core::value::parse(l).unwrap(); }
        let parse = t.elapsed();
        let t = Instant::now();
        let mut obs = Observations::default();
        for (i, l) in lines.iter().enumerate() {
            let r = RecordRef { partition: 0, offset: i as i64, timestamp: Some(1), key: None, value: Some(l), headers: &headers };
            let d = decode(&r);
            obs.topic_mut("t").add(&d, 0, i as i64, Some(1));
        }
        println!("parse {:?} decode+fold {:?}", parse, t.elapsed());
    }
}
