#include "topo/params.hpp"

#include <algorithm>

namespace clustersim::topo {

namespace {

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

std::int64_t pod_size(const UbMeshParams& p) {
    std::int64_t n = 1;
    for (const auto& d : p.dims) n *= d.size;
    return n;
}

std::int64_t block_of(const UbMeshParams& p) {
    std::int64_t n = 1;
    for (std::size_t i = 0; i < static_cast<std::size_t>(p.rack_dims) && i < p.dims.size(); ++i) n *= p.dims[i].size;
    return n;
}

std::vector<LevelParams> ub_mesh_levels(const UbMeshParams& p) {
    const std::int64_t pod = pod_size(p);
    FullMeshNetwork mesh{p.dims, p.spares_per_rack, p.spares_per_rack > 0 ? block_of(p) : 0, p.spare_link};
    std::vector<LevelParams> levels{{"ub_mesh", PlaneKind::scale_up, pod, mesh}};
    if (p.hrs) levels.push_back({"hrs", PlaneKind::scale_up, pod * p.pods, *p.hrs});
    return levels;
}

}  // namespace

HierarchicalParams to_hierarchical(const TopologyParams& params) {
    return std::visit(
        overloaded{
            [](const SingleSwitchParams& p) {
                ClosNetwork n{{{"switch", p.radix, 1.0, p.link}}, 1, p.links_per_accelerator, 1};
                return HierarchicalParams{{{"switch", PlaneKind::scale_up, p.accelerators, n}}};
            },
            [](const RingParams& p) {
                return HierarchicalParams{
                    {{"ring", PlaneKind::scale_up, p.accelerators, TorusNetwork{{p.accelerators}, p.link}}}};
            },
            [](const TorusParams& p) {
                TorusNetwork t{p.dims, p.link};
                std::sort(t.dims.begin(), t.dims.end());
                std::int64_t n = 1;
                for (const auto k : t.dims) n *= k;
                return HierarchicalParams{{{"torus", PlaneKind::scale_up, n, t}}};
            },
            [](const FullMeshParams& p) {
                FullMeshNetwork m{{{p.accelerators, p.link}}, 0, 0, {}};
                return HierarchicalParams{{{"full_mesh", PlaneKind::scale_up, p.accelerators, m}}};
            },
            [](const FatTreeParams& p) {
                return HierarchicalParams{{{"fat_tree", PlaneKind::scale_out, p.accelerators, p.network}}};
            },
            [](const DragonflyParams& p) {
                const auto& d = p.network;
                const std::int64_t n = d.terminals_per_router * d.routers_per_group * d.groups;
                return HierarchicalParams{{{"dragonfly", PlaneKind::scale_out, n, d}}};
            },
            [](const UbMeshParams& p) { return HierarchicalParams{ub_mesh_levels(p)}; },
            [](const ScaleUpScaleOutParams& p) {
                return HierarchicalParams{{
                    {p.scale_up_name, PlaneKind::scale_up, p.domain_size, p.scale_up},
                    {p.scale_out_name, PlaneKind::scale_out, p.domains * p.domain_size, p.scale_out},
                }};
            },
            [](const SuperClusterParams& p) {
                auto levels = ub_mesh_levels(p.superpod);
                const std::int64_t superpod = pod_size(p.superpod) * p.superpod.pods;
                levels.push_back({p.scale_out_name, PlaneKind::scale_out, superpod * p.superpods, p.scale_out});
                return HierarchicalParams{levels};
            },
            [](const HierarchicalParams& p) { return p; },
        },
        params);
}

}  // namespace clustersim::topo
