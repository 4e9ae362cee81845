//! Name back-references.
use crate::engine::resmap::ResMap;
use crate::error::Result;

pub fn fix_back_references(_ra: &mut ResMap) -> Result<()> {
    Ok(())
}
