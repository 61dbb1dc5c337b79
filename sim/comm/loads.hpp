#pragma once
// Link loads of one step of a pattern, every group at once, and the step's bandwidth time.
//
// Three ways to get them, which the tests check against each other:
//  - folded_loads: the fast path. Level instances whose traffic is identical (strided placements
//    repeat every p x stride accelerators) are computed once; Clos levels keep per-accelerator,
//    per-leaf and per-pod byte counts instead of per-link loads (with even ECMP every up-link of a
//    leaf carries the leaf's outgoing bytes / its up-links); all-to-all patterns on Clos levels are
//    counted from how many ranks of a group share each leaf and pod, never pair by pair.
//  - explicit_loads: every flow of every group routed one by one on the graph (shortest-path ECMP
//    by breadth-first search, dimension order on tori, all-path on meshes), loads per directed link.
//  - fair_loads: explicit routes, then max-min fair rates (progressive filling, Eigen) in a fluid
//    simulation until every flow has finished.
// The bottleneck time is max over directed links of load / effective bandwidth; docs/models/comm.md
// says when max-min fair sharing takes longer.
#include <cstdint>
#include <memory>
#include <vector>

#include "comm/fabric.hpp"
#include "comm/pattern.hpp"
#include "comm/placement.hpp"

namespace clustersim::comm {

/// Routing on full-mesh levels. adaptive: per level, whichever of the two gives the smaller
/// bottleneck for this step (a source-routed fabric whose library knows the collective's pattern).
enum class MeshRouting : std::uint8_t { shortest, all_path, adaptive };
std::string_view to_string(MeshRouting m);

struct LoadOptions {
    MeshRouting mesh_routing = MeshRouting::adaptive;
    std::uint64_t max_explicit_flows = 20'000'000;  ///< explicit_loads refuses more (CommError)
    /// explicit_loads refuses when its breadth-first searches (one per destination, over that
    /// destination's level instance) would visit more nodes than this (CommError).
    std::uint64_t max_explicit_visits = 4'000'000'000;
    std::uint64_t max_fair_flows = 20'000;          ///< fair_loads refuses more (CommError)
};

/// Loads of one step, in weight units (multiply by the stage's unit bytes for bytes).
struct StageLoads {
    std::vector<double> class_max;  ///< by link class: the largest load on one directed link of the class
    /// Seconds per weight unit of bandwidth: max over classes of class_max / effective bandwidth
    /// (fair_loads: the fluid makespan). 0 when nothing crosses a link.
    double seconds_per_unit = 0;
    int bottleneck_class = -1;             ///< the class that sets seconds_per_unit; -1: none
    std::vector<std::int64_t> level_hops;  ///< per level: the most hops of a flow there (0: no flow)
    std::vector<MeshRouting> mesh_routing; ///< per level: the routing used (full-mesh levels)
    std::uint64_t flows = 0;               ///< flows routed (folded: flows and counted classes handled)
    bool in_network = false;               ///< an InNetworkFlows step (in-network efficiency applied)
};

StageLoads folded_loads(const Fabric& fabric, const Placement& placement, const Pattern& pattern,
                        const LoadOptions& options = {});

/// Buffers folded_loads reuses from one call to the next (per-accelerator and per-leaf counts):
/// at a million accelerators, allocating them afresh for every pattern costs more in page faults
/// than the counting itself. Their contents never affect results. One per thread; movable.
class FoldedScratch {
public:
    FoldedScratch();
    ~FoldedScratch();
    FoldedScratch(FoldedScratch&&) noexcept;
    FoldedScratch& operator=(FoldedScratch&&) noexcept;
    FoldedScratch(const FoldedScratch&) = delete;
    FoldedScratch& operator=(const FoldedScratch&) = delete;
    struct Buffers;
    [[nodiscard]] Buffers& buffers() { return *b_; }

private:
    std::unique_ptr<Buffers> b_;
};

StageLoads folded_loads(const Fabric& fabric, const Placement& placement, const Pattern& pattern,
                        const LoadOptions& options, FoldedScratch& scratch);

/// `per_link`, when given, receives the load of every directed link (size directed_link_count()).
StageLoads explicit_loads(const Fabric& fabric, const Placement& placement, const Pattern& pattern,
                          const LoadOptions& options = {}, std::vector<double>* per_link = nullptr);

/// In-network steps are not flows between ranks: for them fair_loads returns explicit_loads.
StageLoads fair_loads(const Fabric& fabric, const Placement& placement, const Pattern& pattern,
                      const LoadOptions& options = {});

/// A max-min fair fluid reference on an abstract network, for small cases: flow f of `sizes[f]`
/// units crosses link l with fraction routes[f][i].second at link routes[f][i].first; links have
/// `capacities` units/s. Rates are recomputed by progressive filling whenever a flow finishes.
/// Returns the time the last flow finishes.
double max_min_makespan(const std::vector<double>& capacities,
                        const std::vector<std::vector<std::pair<std::size_t, double>>>& routes,
                        const std::vector<double>& sizes);

namespace detail {
/// Fills seconds_per_unit and bottleneck_class from class_max.
void finish(const Fabric& fabric, StageLoads& loads);
}  // namespace detail

}  // namespace clustersim::comm
