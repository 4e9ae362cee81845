//! Patches: strategic merge and JSON 6902, and the selectors that pick their targets.
pub mod strategic;

use crate::engine::build::Ctx;
use crate::engine::kustomization::Patch;
use crate::engine::resmap::ResMap;
use crate::error::Result;

pub fn apply_strategic_merge_list(
    _ctx: &mut Ctx,
    _patches: &[String],
    _ra: &mut ResMap,
) -> Result<()> {
    Ok(())
}

pub fn apply_patches(_ctx: &mut Ctx, _patches: &[Patch], _ra: &mut ResMap) -> Result<()> {
    Ok(())
}

pub fn apply_json6902_list(_ctx: &mut Ctx, _patches: &[Patch], _ra: &mut ResMap) -> Result<()> {
    Ok(())
}
