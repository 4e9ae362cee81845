//! `namePrefix` and `nameSuffix`.
use crate::engine::resmap::ResMap;
use crate::error::Result;

pub fn apply(_ra: &mut ResMap, _prefix: &str, _suffix: &str, _source: &str) -> Result<()> {
    Ok(())
}
