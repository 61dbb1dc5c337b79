#pragma once
// Parameters of every topology builder, one plain struct each, and the variant that holds any
// of them. Each converts to a HierarchicalParams (networks.hpp), which is what is built and
// measured. Validation: validate.hpp; names and descriptions: registry.hpp.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "topo/networks.hpp"

namespace clustersim::topo {

/// Every accelerator on one switch (a 1-tier Clos), `links_per_accelerator` links each.
struct SingleSwitchParams {
    std::int64_t accelerators = 0;
    std::int64_t radix = 0;
    LinkSpec link;
    std::int64_t links_per_accelerator = 1;
};

/// A bidirectional ring (a 1-D torus).
struct RingParams {
    std::int64_t accelerators = 0;
    LinkSpec link;
};

/// A 2-D/3-D (any n) torus. The standalone builder orders dimensions by ascending size, so the
/// canonical first-half/second-half split cuts across the largest dimension.
struct TorusParams {
    std::vector<std::int64_t> dims;
    LinkSpec link;
};

/// Every pair of accelerators directly linked.
struct FullMeshParams {
    std::int64_t accelerators = 0;
    LinkSpec link;
};

/// A fat-tree / folded Clos over `accelerators` (partially populated when fewer than it holds).
struct FatTreeParams {
    std::int64_t accelerators = 0;
    ClosNetwork network;
};

struct DragonflyParams {
    DragonflyNetwork network;
};

/// UB-Mesh (Liao et al., arXiv 2503.20377): a pod is an nD-FullMesh (default 8 per board,
/// 8 boards per rack, 4x4 racks: 1,024 NPUs); a rack is the product of the first `rack_dims`
/// dimensions and has `spares_per_rack` backup NPUs (64+1); pods are joined by a Clos of
/// high-radix switches (`hrs`, required when pods > 1). The rack's low-radix switches that carry
/// inter-rack links are folded into the links (not nodes): an assumption, see the model doc.
struct UbMeshParams {
    std::vector<MeshDimension> dims;
    std::int64_t rack_dims = 2;
    std::int64_t spares_per_rack = 0;
    LinkSpec spare_link;
    std::int64_t pods = 1;
    std::optional<ClosNetwork> hrs;
};

/// Switched scale-up domains (NVLink NVL72, CloudMatrix UB planes) inside a scale-out Clos
/// (InfiniBand, RoCE) that every accelerator joins through its own NIC(s).
struct ScaleUpScaleOutParams {
    std::int64_t domains = 0;
    std::int64_t domain_size = 0;
    std::string scale_up_name = "scale_up";
    ClosNetwork scale_up;
    std::string scale_out_name = "scale_out";
    ClosNetwork scale_out;
};

/// SuperPoDs (each a UB-Mesh, e.g. Atlas 950) joined by a scale-out Clos (UBoE or RoCE).
struct SuperClusterParams {
    std::int64_t superpods = 0;
    UbMeshParams superpod;
    std::string scale_out_name = "uboe";
    ClosNetwork scale_out;
};

using TopologyParams =
    std::variant<SingleSwitchParams, RingParams, TorusParams, FullMeshParams, UbMeshParams, FatTreeParams,
                 DragonflyParams, ScaleUpScaleOutParams, SuperClusterParams, HierarchicalParams>;

/// The composition each builder stands for. Assumes valid params (validate first; build and
/// analyze do).
HierarchicalParams to_hierarchical(const TopologyParams& params);

}  // namespace clustersim::topo
