//! `replicas`.
use crate::engine::kustomization::Replica;
use crate::engine::resmap::ResMap;
use crate::error::Result;

pub fn apply(_ra: &mut ResMap, _replicas: &[Replica], _source: &str) -> Result<()> {
    Ok(())
}
