//! `labels` and `commonLabels`.
use crate::engine::kustomization::Kustomization;
use crate::engine::resmap::ResMap;
use crate::error::Result;

pub fn apply(_ra: &mut ResMap, _k: &Kustomization, _source: &str) -> Result<()> {
    Ok(())
}
