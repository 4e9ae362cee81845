//! `images`.
use crate::engine::kustomization::Image;
use crate::engine::resmap::ResMap;
use crate::error::Result;

pub fn apply(_ra: &mut ResMap, _images: &[Image], _source: &str) -> Result<()> {
    Ok(())
}
