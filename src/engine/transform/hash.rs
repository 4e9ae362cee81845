//! Content-hash name suffixes for generated ConfigMaps and Secrets.
use crate::engine::resmap::ResMap;
use crate::error::Result;

pub fn add_hash_suffixes(_ra: &mut ResMap) -> Result<()> {
    Ok(())
}
