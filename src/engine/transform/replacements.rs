//! `replacements`.
use crate::engine::build::Ctx;
use crate::engine::kustomization::ReplacementEntry;
use crate::engine::resmap::ResMap;
use crate::error::Result;

pub fn apply(_ctx: &mut Ctx, _entries: &[ReplacementEntry], _ra: &mut ResMap) -> Result<()> {
    Ok(())
}
