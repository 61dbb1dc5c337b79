#include "topo/examples.hpp"

namespace clustersim::topo {

namespace {

units::BytesPerSecond GBps(double v) { return units::BytesPerSecond(v * 1e9); }
units::BytesPerSecond Gbps(double v) { return units::BytesPerSecond(v * 1e9 / 8.0); }

/// A 1:1 fat-tree of `radix`-port switches with enough tiers (2 or 3) for `accelerators`.
ClosNetwork fat_tree(std::int64_t accelerators, std::int64_t radix, std::int64_t links_per_accelerator,
                     const LinkSpec& host, const LinkSpec& fabric, const std::string& prefix) {
    ClosNetwork n;
    n.links_per_accelerator = links_per_accelerator;
    const std::int64_t per_leaf = radix / 2 / links_per_accelerator;
    n.tiers.push_back({prefix + "leaf", radix, 1.0, host});
    if (accelerators <= per_leaf * radix) {
        n.tiers.push_back({prefix + "spine", radix, 1.0, fabric});
    } else {
        n.tiers.push_back({prefix + "aggregation", radix, 1.0, fabric});
        n.tiers.push_back({prefix + "core", radix, 1.0, fabric});
    }
    return n;
}

ScaleUpScaleOutParams nvl72(std::int64_t racks, const LinkSpec& nic, std::int64_t ib_radix) {
    ScaleUpScaleOutParams p;
    p.domains = racks;
    p.domain_size = 72;
    p.scale_up_name = "nvlink";
    p.scale_up = ClosNetwork{{{"nvswitch", 72, 1.0, electrical(GBps(50))}}, 18, 1, 1};
    p.scale_out_name = "infiniband";
    p.scale_out = fat_tree(racks * 72, ib_radix, 1, nic, nic, "ib_");
    return p;
}

}  // namespace

ScaleUpScaleOutParams gb200_nvl72_ndr(std::int64_t racks) { return nvl72(racks, optical(Gbps(400)), 64); }

ScaleUpScaleOutParams gb300_nvl72_xdr(std::int64_t racks) { return nvl72(racks, optical(Gbps(800)), 144); }

ScaleUpScaleOutParams cloudmatrix384(std::int64_t supernodes) {
    ScaleUpScaleOutParams p;
    p.domains = supernodes;
    p.domain_size = 384;
    p.scale_up_name = "ub";
    // One LPO module per L1-L2 link: SemiAnalysis' 5,376 scale-up modules [S14] = the Clos's 5,376 L1-L2 links.
    p.scale_up = ClosNetwork{
        {{"ub_l1", 32, 1.0, electrical(Gbps(224))}, {"ub_l2", 48, 1.0, optical(Gbps(224), units::Seconds(0.0), 1)}},
        7,
        2,
        1};
    p.scale_out_name = "rdma";
    p.scale_out = fat_tree(supernodes * 384, 128, 2, optical(Gbps(200)), optical(Gbps(400)), "rdma_");
    return p;
}

UbMeshParams ub_mesh_pod() {
    UbMeshParams p;
    p.dims = {{8, electrical(GBps(56))}, {8, electrical(GBps(56))}, {4, optical(GBps(28))}, {4, optical(GBps(28))}};
    p.rack_dims = 2;
    p.spares_per_rack = 1;
    p.spare_link = electrical(GBps(56));
    p.pods = 1;
    return p;
}

UbMeshParams atlas950_superpod() {
    UbMeshParams p = ub_mesh_pod();
    p.spares_per_rack = 0;
    p.spare_link = {};
    p.pods = 8;
    p.hrs =
        ClosNetwork{{{"hrs_leaf", 128, 1.0, optical(GBps(56))}, {"hrs_spine", 128, 1.0, optical(GBps(56))}}, 1, 1, 1};
    return p;
}

SuperClusterParams atlas950_supercluster(std::int64_t superpods) {
    SuperClusterParams p;
    p.superpods = superpods;
    p.superpod = atlas950_superpod();
    p.scale_out_name = "uboe";
    const LinkSpec port = optical(Gbps(400));
    p.scale_out = ClosNetwork{
        {{"uboe_leaf", 256, 1.0, port}, {"uboe_aggregation", 256, 1.0, port}, {"uboe_core", 256, 1.0, port}}, 1, 2, 1};
    return p;
}

}  // namespace clustersim::topo
