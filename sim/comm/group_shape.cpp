#include "comm/group_shape.hpp"

namespace clustersim::comm {

namespace {

/// Level-0 grid dimensions [a, b) that a strided group covers exactly, if it is an aligned sub-grid.
bool grid_cover(const LevelView& lv, const Placement& pl, std::size_t& a, std::size_t& b) {
    if (!pl.is_strided()) return false;
    const auto& dims = lv.grid.dims;
    std::int64_t prefix = 1;
    for (a = 0; a < dims.size() && prefix < pl.stride(); ++a) prefix *= dims[a];
    if (prefix != pl.stride()) return false;
    std::int64_t span = 1;
    for (b = a; b < dims.size() && span < pl.group_size(); ++b) span *= dims[b];
    if (span != pl.group_size() || b == a) return false;
    const std::int64_t g0 = lv.group_size;
    for (std::int64_t g = 0; g < pl.group_count(); ++g) {
        const auto first = static_cast<std::int64_t>(pl.accelerator(g, 0));
        const std::int64_t local = first % g0;
        for (std::size_t d = a; d < b; ++d)
            if (local / lv.grid.strides[d] % dims[d] != 0) return false;
        if (static_cast<std::int64_t>(pl.accelerator(g, pl.group_size() - 1)) / g0 != first / g0) return false;
    }
    return true;
}

}  // namespace

GroupShape describe_groups(const Fabric& fabric, const Placement& pl) {
    GroupShape s;
    s.ranks = pl.group_size();
    s.groups = pl.group_count();
    const auto& levels = fabric.levels();
    s.per_level.assign(levels.size(), 0);
    s.top_level = 0;
    for (std::size_t l = 0; l < levels.size(); ++l) {
        const std::int64_t g0 = levels[l].group_size;
        std::int64_t common = 0;  // run length shared by every run so far (0: none yet)
        bool uniform = true, whole = true, any_whole = false;
        auto record = [&](std::int64_t run) {
            if (common == 0) common = run;
            else if (run != common) uniform = false;
        };
        for (std::int64_t g = 0; g < pl.group_count() && (uniform || whole || !any_whole); ++g) {
            std::int64_t prev = -1, run = 0, runs = 0;
            for (std::int64_t r = 0; r < pl.group_size(); ++r) {
                const std::int64_t inst = static_cast<std::int64_t>(pl.accelerator(g, r)) / g0;
                if (inst == prev) {
                    ++run;
                    continue;
                }
                if (prev >= 0) {
                    record(run);
                    if (inst < prev) uniform = false;  // the ranks go back to an earlier instance
                }
                prev = inst;
                run = 1;
                ++runs;
            }
            record(run);
            if (runs > 1) whole = false;
            else any_whole = true;
        }
        const std::int64_t run_size = uniform ? common : -1;
        s.per_level[l] = run_size;
        if (!whole && static_cast<int>(l) + 1 > s.top_level) s.top_level = static_cast<int>(l) + 1;
        if (!any_whole) s.bottom_level = static_cast<int>(l) + 1;
    }
    if (s.top_level >= static_cast<int>(levels.size())) s.top_level = static_cast<int>(levels.size()) - 1;
    if (s.bottom_level > s.top_level) s.bottom_level = s.top_level;

    // Dimensions, when the ranks follow the levels up to the top one.
    for (int l = 0; l <= s.top_level; ++l)
        if (s.per_level[static_cast<std::size_t>(l)] <= 0) return s;
    std::int64_t below = 1;
    for (int l = 0; l <= s.top_level; ++l) {
        const auto& lv = levels[static_cast<std::size_t>(l)];
        const std::int64_t here = s.per_level[static_cast<std::size_t>(l)];
        if (here % below != 0) {
            s.dims.clear();
            return s;
        }
        const std::int64_t factor = here / below;
        std::size_t a = 0, b = 0;
        if (l == 0 && (lv.kind == LevelKind::full_mesh || lv.kind == LevelKind::torus) && grid_cover(lv, pl, a, b)) {
            for (std::size_t d = a; d < b; ++d)
                if (lv.grid.dims[d] > 1)
                    s.dims.push_back({lv.grid.dims[d],
                                      lv.kind == LevelKind::torus ? DimKind::bidirectional_ring : DimKind::direct, 0});
        } else if (factor > 1) {
            s.dims.push_back({factor, DimKind::ring, l});
        }
        below = here;
    }
    if (below != s.ranks) s.dims.clear();
    return s;
}

}  // namespace clustersim::comm
