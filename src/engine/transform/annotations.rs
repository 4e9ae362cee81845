//! `commonAnnotations`.
use crate::engine::resmap::ResMap;
use crate::error::Result;
use std::collections::BTreeMap;

pub fn apply(
    _ra: &mut ResMap,
    _annotations: &BTreeMap<String, String>,
    _source: &str,
) -> Result<()> {
    Ok(())
}
