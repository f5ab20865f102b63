//! Capture lines (kcat -C -J JSON Lines) → records.
use std::io::BufRead;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureRecord {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

pub fn parse_line(_line: &[u8]) -> Result<CaptureRecord, String> {
    Err("not JSON".into())
}

pub struct CaptureReader<R> {
    inner: R,
    line_no: usize,
    buf: Vec<u8>,
}

impl<R: BufRead> CaptureReader<R> {
    pub fn new(inner: R) -> Self {
        CaptureReader { inner, line_no: 0, buf: Vec::new() }
    }
}

impl<R: BufRead> Iterator for CaptureReader<R> {
    type Item = (usize, Result<CaptureRecord, String>);
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            match self.inner.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    self.line_no += 1;
                    return Some((self.line_no, Err(format!("cannot read: {e}"))));
                }
            }
            self.line_no += 1;
            if self.buf.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            return Some((self.line_no, parse_line(&self.buf)));
        }
    }
}
