#pragma once
// validate(params): every problem with a builder's parameters, each as (parameter, message),
// in field order. An empty result means build() and analyze() will succeed (within BuildLimits).
#include <vector>

#include "topo/params.hpp"
#include "topo/problem.hpp"

namespace clustersim::topo {

std::vector<Problem> validate(const SingleSwitchParams& p);
std::vector<Problem> validate(const RingParams& p);
std::vector<Problem> validate(const TorusParams& p);
std::vector<Problem> validate(const FullMeshParams& p);
std::vector<Problem> validate(const FatTreeParams& p);
std::vector<Problem> validate(const DragonflyParams& p);
std::vector<Problem> validate(const UbMeshParams& p);
std::vector<Problem> validate(const ScaleUpScaleOutParams& p);
std::vector<Problem> validate(const SuperClusterParams& p);
std::vector<Problem> validate(const HierarchicalParams& p);
std::vector<Problem> validate(const TopologyParams& p);

/// Throws InvalidParams when validate(p) reports anything.
void require_valid(const TopologyParams& p);

}  // namespace clustersim::topo
