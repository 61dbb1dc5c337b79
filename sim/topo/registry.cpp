#include "topo/registry.hpp"

#include <algorithm>

#include "topo/examples.hpp"
#include "topo/problem.hpp"

namespace clustersim::topo {

void BuilderRegistry::add(BuilderEntry entry) {
    if (entry.name.empty()) throw TopologyError("a topology builder needs a name");
    if (find(entry.name)) throw TopologyError("topology builder '" + entry.name + "' is registered twice");
    if (entry.description.empty() || entry.description.find('\n') != std::string::npos)
        throw TopologyError("topology builder '" + entry.name + "' needs a one-line description");
    entries_.push_back(std::move(entry));
}

const BuilderEntry* BuilderRegistry::find(std::string_view name) const {
    const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.name == name; });
    return it == entries_.end() ? nullptr : &*it;
}

const BuilderEntry& BuilderRegistry::at(std::string_view name) const {
    if (const auto* e = find(name)) return *e;
    throw UnknownBuilder(std::string(name), names());
}

std::vector<std::string> BuilderRegistry::names() const {
    std::vector<std::string> n;
    for (const auto& e : entries_) n.push_back(e.name);
    return n;
}

void register_builtin_builders(BuilderRegistry& r) {
    const LinkSpec link = electrical(units::BytesPerSecond(50e9));
    r.add({"single_switch", "every accelerator on one switch (an NVSwitch-style crossbar)",
           SingleSwitchParams{8, 64, link, 1}});
    r.add({"ring", "bidirectional ring of accelerators", RingParams{8, link}});
    r.add({"torus", "2-D/3-D (any n) wrap-around torus of accelerators, k-ary n-cube", TorusParams{{4, 4, 4}, link}});
    r.add({"full_mesh", "every pair of accelerators directly linked", FullMeshParams{8, link}});
    r.add({"ub_mesh", "UB-Mesh nD-FullMesh: boards and racks as full meshes, a spare per rack, high-radix Clos above",
           ub_mesh_pod()});
    r.add({"fat_tree", "folded Clos of 1-3 tiers: radix and oversubscription per tier, planes, rail-optimised",
           FatTreeParams{
               128,
               ClosNetwork{{{"edge", 8, 1.0, link}, {"aggregation", 8, 1.0, link}, {"core", 8, 1.0, link}}, 1, 1, 1}}});
    r.add({"dragonfly", "Kim et al. dragonfly: full-mesh groups of routers joined by global links",
           DragonflyParams{DragonflyNetwork{2, 4, 2, 9, link, link, link, "router"}}});
    r.add({"scale_up_scale_out", "switched scale-up domains (NVL72, CloudMatrix UB) inside a scale-out Clos",
           gb200_nvl72_ndr(4)});
    r.add({"supercluster", "UB-Mesh SuperPoDs (Atlas 950) joined by a UBoE/RoCE Clos", atlas950_supercluster(2)});
    r.add({"hierarchical", "any stack of networks over nested groups of accelerators (mesh, torus, Clos, dragonfly)",
           HierarchicalParams{{
               {"board", PlaneKind::scale_up, 8, FullMeshNetwork{{{8, link}}, 0, 0, {}}},
               {"fabric", PlaneKind::scale_out, 256,
                ClosNetwork{{{"leaf", 32, 1.0, optical(units::BytesPerSecond(50e9))},
                             {"spine", 16, 1.0, optical(units::BytesPerSecond(50e9))}},
                            1,
                            1,
                            1}},
           }}});
}

}  // namespace clustersim::topo
