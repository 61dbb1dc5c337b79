#include "comm/placement.hpp"

#include <algorithm>

#include "comm/error.hpp"

namespace clustersim::comm {

Placement Placement::strided(std::int64_t group_size, std::int64_t stride, std::int64_t groups, std::int64_t offset) {
    Placement p;
    p.p_ = group_size;
    p.stride_ = stride;
    p.groups_ = groups;
    p.offset_ = offset;
    if (group_size >= 1 && stride >= 1 && groups >= 1 && offset >= 0) {
        // The last block holds the highest ids: its last lane's last rank.
        const std::int64_t last_block = (groups - 1) / stride;
        p.first_ = static_cast<topo::NodeId>(offset);
        p.extent_ = static_cast<topo::NodeId>(offset + last_block * group_size * stride + (groups - 1) % stride +
                                              (group_size - 1) * stride + 1);
    }
    return p;
}

std::optional<std::string> Placement::tiling_problem(std::int64_t accelerators, std::int64_t group_size, std::int64_t stride) {
    const std::string p = std::to_string(group_size), n = std::to_string(accelerators);
    if (group_size < 1) return "group_size " + p + " is below 1";
    if (stride < 1) return "stride " + std::to_string(stride) + " is below 1";
    if (group_size > accelerators) return "group_size " + p + " is larger than the " + n + " accelerators";
    if (accelerators % group_size != 0) return "group_size " + p + " does not divide the " + n + " accelerators";
    if ((accelerators / group_size) % stride != 0)
        return "stride " + std::to_string(stride) + " does not divide the " + std::to_string(accelerators / group_size) +
               " groups (the groups of one period interleave; valid strides divide accelerators / group_size)";
    return std::nullopt;
}

Placement Placement::tiled(std::int64_t accelerators, std::int64_t group_size, std::int64_t stride) {
    if (const auto why = tiling_problem(accelerators, group_size, stride)) throw CommError("placement: " + *why);
    return strided(group_size, stride, accelerators / group_size, 0);
}

Placement Placement::explicit_groups(std::vector<std::vector<topo::NodeId>> groups) {
    Placement p;
    p.groups_ = static_cast<std::int64_t>(groups.size());
    p.p_ = groups.empty() ? 0 : static_cast<std::int64_t>(groups.front().size());
    p.stride_ = 1;
    topo::NodeId lo = ~topo::NodeId{0}, hi = 0;
    for (const auto& g : groups)
        for (const auto a : g) {
            lo = std::min(lo, a);
            hi = std::max(hi, a + 1);
        }
    p.first_ = groups.empty() || hi == 0 ? 0 : lo;
    p.extent_ = hi;
    p.explicit_ = std::move(groups);
    p.explicit_mode_ = true;
    // The lookup table is built only when the ids are plausible (validate() reports the rest).
    if (hi <= (topo::NodeId{1} << 32)) {
        p.inverse_.assign(hi, -1);
        for (std::size_t g = 0; g < p.explicit_.size(); ++g)
            for (std::size_t r = 0; r < p.explicit_[g].size(); ++r) {
                auto& slot = p.inverse_[p.explicit_[g][r]];
                if (slot < 0 && static_cast<std::int64_t>(r) < p.p_)
                    slot = static_cast<std::int64_t>(g) * p.p_ + static_cast<std::int64_t>(r);
            }
    }
    return p;
}

topo::NodeId Placement::accelerator(std::int64_t group, std::int64_t rank) const {
    if (explicit_mode_) return explicit_[static_cast<std::size_t>(group)][static_cast<std::size_t>(rank)];
    return static_cast<topo::NodeId>(offset_ + group / stride_ * p_ * stride_ + group % stride_ + rank * stride_);
}

std::optional<Placement::Slot> Placement::slot(topo::NodeId a) const {
    if (explicit_mode_) {
        if (p_ < 1 || a >= inverse_.size() || inverse_[a] < 0) return std::nullopt;
        return Slot{inverse_[a] / p_, inverse_[a] % p_};
    }
    const auto x = static_cast<std::int64_t>(a) - offset_;
    if (x < 0) return std::nullopt;
    const std::int64_t period = p_ * stride_;
    const std::int64_t block = x / period, within = x % period;
    const std::int64_t g = block * stride_ + within % stride_;
    if (g >= groups_) return std::nullopt;
    return Slot{g, within / stride_};
}

std::vector<std::string> Placement::problems(std::uint64_t accelerators) const {
    std::vector<std::string> out;
    if (!explicit_mode_) {
        if (p_ < 1) out.push_back("group size must be at least 1 (got " + std::to_string(p_) + ")");
        if (stride_ < 1) out.push_back("stride must be at least 1 (got " + std::to_string(stride_) + ")");
        if (groups_ < 1) out.push_back("there must be at least one group (got " + std::to_string(groups_) + ")");
        if (offset_ < 0) out.push_back("offset must not be negative (got " + std::to_string(offset_) + ")");
        if (out.empty() && extent_ > accelerators)
            out.push_back("the groups reach accelerator " + std::to_string(extent_ - 1) + " but the topology has " +
                          std::to_string(accelerators) + " active accelerators");
        return out;
    }
    if (explicit_.empty()) {
        out.emplace_back("there must be at least one group");
        return out;
    }
    if (p_ < 1) out.emplace_back("groups must not be empty");
    for (std::size_t g = 0; g < explicit_.size(); ++g)
        if (static_cast<std::int64_t>(explicit_[g].size()) != p_)
            out.push_back("group " + std::to_string(g) + " has " + std::to_string(explicit_[g].size()) +
                          " ranks, group 0 has " + std::to_string(p_) + " (all groups must be the same size)");
    std::vector<std::uint8_t> seen(static_cast<std::size_t>(std::min<std::uint64_t>(accelerators, extent_)), 0);
    for (std::size_t g = 0; g < explicit_.size(); ++g)
        for (const auto a : explicit_[g]) {
            if (a >= accelerators) {
                out.push_back("group " + std::to_string(g) + ": accelerator " + std::to_string(a) +
                              " is not an active accelerator (the topology has " + std::to_string(accelerators) + ")");
                continue;
            }
            if (seen[a]++ == 1) out.push_back("accelerator " + std::to_string(a) + " is used more than once");
        }
    return out;
}

void Placement::validate(std::uint64_t accelerators) const {
    const auto p = problems(accelerators);
    if (p.empty()) return;
    std::string msg = "invalid placement: ";
    for (std::size_t i = 0; i < p.size(); ++i) msg += (i ? "; " : "") + p[i];
    throw CommError(msg);
}

}  // namespace clustersim::comm
