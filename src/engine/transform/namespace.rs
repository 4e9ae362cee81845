//! `namespace`.
use crate::engine::resmap::ResMap;
use crate::error::Result;

pub fn apply(_ra: &mut ResMap, _namespace: &str, _source: &str) -> Result<()> {
    Ok(())
}
