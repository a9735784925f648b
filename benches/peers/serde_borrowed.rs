//! memchr SSE splitter + serde_json into borrowed structs + hand fold.

use super::borrowed::HandFold;
use super::splitter::Splitter;
use super::Folded;

pub fn fold<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> Result<Folded, String> {
    let mut splitter = Splitter::new();
    let mut fold = HandFold::default();
    let mut on_data = |data: &[u8]| {
        if fold.wants(data) {
            let chunk = serde_json::from_slice(data).map_err(|e| fold.error(e))?;
            fold.chunk(chunk);
        }
        Ok::<(), String>(())
    };
    for chunk in chunks {
        splitter.feed(chunk, &mut on_data)?;
    }
    Ok(fold.finish())
}
