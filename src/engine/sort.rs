//! Output order: kustomize's legacy kind order, or `sortOptions`.
use crate::engine::kustomization::SortOptions;
use crate::engine::resource::Resource;

pub fn sort(resources: Vec<Resource>, _opts: Option<&SortOptions>) -> Vec<Resource> {
    resources
}
