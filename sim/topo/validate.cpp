#include "topo/validate.hpp"

#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include "topo/structure.hpp"
#include "units/format.hpp"

namespace clustersim::topo {

namespace {

using Problems = std::vector<Problem>;

/// Products saturate here, far above anything buildable, so that absurd sizes give a message
/// instead of an overflow.
constexpr std::int64_t too_large = std::int64_t{1} << 50;

/// The most ports a switch may have (today's largest have a few hundred).
constexpr std::int64_t max_radix = 65536;

std::int64_t mul(std::int64_t a, std::int64_t b) {
    if (a <= 0 || b <= 0) return a * b;
    if (a > too_large / b) return too_large;
    return a * b;
}

std::string num(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}
std::string num(std::int64_t v) { return std::to_string(v); }

std::string list(const std::vector<std::int64_t>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s;
}

void at_least(Problems& out, const std::string& path, std::int64_t value, std::int64_t min) {
    if (value < min) out.push_back({path, "must be at least " + num(min) + " (got " + num(value) + ")"});
}

void check_link(Problems& out, const std::string& path, const LinkSpec& l) {
    const double bw = l.bandwidth.si();
    if (!(bw > 0) || !std::isfinite(bw))
        out.push_back({path + ".bandwidth",
                       "must be a positive data rate (got " + units::format_si(bw, units::Dimension::data_rate) + ")"});
    const double lat = l.latency.si();
    if (!(lat >= 0) || !std::isfinite(lat))
        out.push_back({path + ".latency", "must not be negative (got " + num(lat) + " s)"});
    if (l.transceivers < 0) {
        out.push_back({path + ".transceivers", "must not be negative (got " + num(l.transceivers) + ")"});
    } else if (l.medium == Medium::electrical && l.transceivers > 0) {
        out.push_back({path + ".transceivers", "an electrical link has no optical transceivers (got " +
                                                   num(l.transceivers) + "); make the medium optical"});
    }
}

/// The accelerators a group holds for each number of leading dimensions: 1, k0, k0*k1, ...
std::vector<std::int64_t> leading_products(const std::vector<std::int64_t>& sizes) {
    std::vector<std::int64_t> p{1};
    for (const auto k : sizes) p.push_back(mul(p.back(), k));
    return p;
}

bool is_leading_product(const std::vector<std::int64_t>& sizes, std::int64_t n) {
    for (const auto p : leading_products(sizes))
        if (p == n) return true;
    return false;
}

/// Where a network sits: its parameter prefix, the group it must join and the parameter that
/// sets that group's size, and the lower level's group size (1 when there is none).
struct Context {
    std::string prefix;
    std::int64_t group = 0;
    std::string group_path;
    std::int64_t subgroup = 1;
};

void check_dims(Problems& out, const Context& c, const std::vector<std::int64_t>& sizes) {
    const std::int64_t n = leading_products(sizes).back();
    if (!c.group_path.empty() && n != c.group)
        out.push_back({c.group_path,
                       "the dimensions (" + list(sizes) + ") hold " + num(n) + " accelerators, not " + num(c.group)});
    if (c.subgroup > 1 && !is_leading_product(sizes, c.subgroup))
        out.push_back({c.group_path, "the lower level's group of " + num(c.subgroup) +
                                         " accelerators is not a product of leading dimensions (" + list(sizes) + ")"});
}

void check_clos(Problems& out, const Context& c, const ClosNetwork& n) {
    const std::string& pre = c.prefix;
    const auto tiers = n.tiers.size();
    if (tiers < 1 || tiers > 3) {
        out.push_back({pre + "tiers", "a fat-tree needs 1 to 3 switch tiers (got " + num(std::int64_t(tiers)) + ")"});
        return;
    }
    bool ports_ok = true;
    for (std::size_t i = 0; i < tiers; ++i) {
        const auto& t = n.tiers[i];
        const std::string tp = pre + "tiers[" + std::to_string(i) + "]";
        const bool top = i + 1 == tiers;
        if (t.name.empty()) out.push_back({tp + ".name", "must not be empty"});
        if (t.radix < 2) {
            out.push_back({tp + ".radix", "must be at least 2 (got " + num(t.radix) + ")"});
            ports_ok = false;
        } else if (t.radix > max_radix) {
            // Keeps every port product of the Clos shape inside int64 (found by the scenario fuzzer).
            out.push_back({tp + ".radix", "must be at most " + num(max_radix) + " (got " + num(t.radix) +
                                              "): no switch has more ports"});
            ports_ok = false;
        }
        if (!(t.oversubscription >= 1.0) || !std::isfinite(t.oversubscription)) {
            out.push_back({tp + ".oversubscription", "must be at least 1 (got " + num(t.oversubscription) +
                                                         "): a tier cannot have more up ports than down ports"});
            ports_ok = false;
        } else if (top && t.oversubscription != 1.0) {
            out.push_back(
                {tp + ".oversubscription", "the top tier has no up ports, so its oversubscription must be 1 (got " +
                                               num(t.oversubscription) + ")"});
        } else if (!top && t.radix >= 2 && !detail::split_ports(t.radix, t.oversubscription)) {
            ports_ok = false;
            if (t.oversubscription == 1.0) {
                out.push_back({tp + ".radix", "radix " + num(t.radix) +
                                                  " is odd: a 1:1 tier splits its ports evenly between down and up"});
            } else {
                out.push_back({tp + ".oversubscription", "radix " + num(t.radix) + " does not split " +
                                                             num(t.oversubscription) +
                                                             ":1 into whole down and up ports"});
            }
        }
        check_link(out, tp + ".down_link", t.down_link);
    }
    if (n.planes < 1) out.push_back({pre + "planes", "must be at least 1 (got " + num(n.planes) + ")"});
    if (n.links_per_accelerator < 1) {
        out.push_back({pre + "links_per_accelerator", "must be at least 1 (got " + num(n.links_per_accelerator) + ")"});
        ports_ok = false;
    }
    if (n.rails < 1) {
        out.push_back({pre + "rails", "must be at least 1 (got " + num(n.rails) + ")"});
        ports_ok = false;
    }
    if (!ports_ok) return;
    const detail::ClosShape s = detail::clos_shape(n, 0);
    if (s.d1 % n.links_per_accelerator != 0) {
        out.push_back({pre + "links_per_accelerator",
                       "the leaf's " + num(s.d1) + " down ports are not a multiple of the links per accelerator (" +
                           num(n.links_per_accelerator) + ")"});
        return;
    }
    if (n.rails > 1) {
        bool rails_ok = true;
        if (tiers == 1) {
            out.push_back({pre + "rails", "rail-optimised wiring needs at least 2 switch tiers"});
            rails_ok = false;
        }
        if (c.group > 0 && c.group % n.rails != 0) {
            out.push_back({pre + "rails", "the group of " + num(c.group) + " accelerators is not a multiple of the " +
                                              num(n.rails) + " rails"});
            rails_ok = false;
        }
        if (tiers == 3 && s.d2 % n.rails != 0) {
            out.push_back({pre + "rails", "the tier-2 switches' " + num(s.d2) +
                                              " down ports are not a multiple of the " + num(n.rails) +
                                              " rails: a pod must hold whole rail groups"});
            rails_ok = false;
        }
        if (c.subgroup > 1 && c.subgroup % n.rails != 0) {
            out.push_back({pre + "rails", "the lower level's group of " + num(c.subgroup) +
                                              " accelerators is not a multiple of the " + num(n.rails) + " rails"});
            rails_ok = false;
        }
        if (!rails_ok) return;
    }
    const std::int64_t cap = s.capacity();
    if (c.group > cap) {
        std::string what = tiers == 1 ? "one switch of radix " + num(n.tiers[0].radix) + " with " +
                                            num(n.links_per_accelerator) + " link(s) per accelerator"
                                      : "a " + num(std::int64_t(tiers)) + "-tier Clos of these radixes";
        out.push_back(
            {c.group_path, what + " holds at most " + num(cap) + " accelerators; " + num(c.group) + " requested"});
    }
}

void check_mesh(Problems& out, const Context& c, const FullMeshNetwork& m) {
    const std::string& pre = c.prefix;
    if (m.dims.empty()) {
        out.push_back({pre + "dims", "at least one dimension is needed"});
        return;
    }
    bool sizes_ok = true;
    std::vector<std::int64_t> sizes;
    for (std::size_t i = 0; i < m.dims.size(); ++i) {
        const std::string dp = pre + "dims[" + std::to_string(i) + "]";
        if (m.dims[i].size < 2) {
            out.push_back({dp + ".size", "must be at least 2 (got " + num(m.dims[i].size) + ")"});
            sizes_ok = false;
        }
        check_link(out, dp + ".link", m.dims[i].link);
        sizes.push_back(m.dims[i].size);
    }
    if (!sizes_ok) return;
    check_dims(out, c, sizes);
    if (m.spares_per_block < 0)
        out.push_back({pre + "spares_per_block", "must not be negative (got " + num(m.spares_per_block) + ")"});
    if (m.spares_per_block > 0) {
        const auto prods = leading_products(sizes);
        if (m.spare_block <= 1 || !is_leading_product(sizes, m.spare_block)) {
            std::vector<std::int64_t> allowed(prods.begin() + 1, prods.end());
            out.push_back({pre + "spare_block", "must be a product of leading dimensions (" + list(allowed) +
                                                    "); got " + num(m.spare_block)});
        }
        check_link(out, pre + "spare_link", m.spare_link);
    }
}

void check_torus(Problems& out, const Context& c, const TorusNetwork& t) {
    const std::string& pre = c.prefix;
    if (t.dims.empty()) {
        out.push_back({pre + "dims", "at least one dimension is needed"});
    } else {
        bool ok = true;
        for (std::size_t i = 0; i < t.dims.size(); ++i) {
            if (t.dims[i] < 2) {
                out.push_back(
                    {pre + "dims[" + std::to_string(i) + "]", "must be at least 2 (got " + num(t.dims[i]) + ")"});
                ok = false;
            }
        }
        if (ok) check_dims(out, c, t.dims);
    }
    check_link(out, pre + "link", t.link);
}

void check_dragonfly(Problems& out, const Context& c, const DragonflyNetwork& d) {
    const std::string& pre = c.prefix;
    at_least(out, pre + "terminals_per_router", d.terminals_per_router, 1);
    at_least(out, pre + "routers_per_group", d.routers_per_group, 1);
    at_least(out, pre + "global_links_per_router", d.global_links_per_router, 1);
    at_least(out, pre + "groups", d.groups, 2);
    if (d.router_name.empty()) out.push_back({pre + "router_name", "must not be empty"});
    check_link(out, pre + "terminal_link", d.terminal_link);
    check_link(out, pre + "local_link", d.local_link);
    check_link(out, pre + "global_link", d.global_link);
    if (d.terminals_per_router < 1 || d.routers_per_group < 1 || d.global_links_per_router < 1 || d.groups < 2) return;
    const std::int64_t ah = mul(d.routers_per_group, d.global_links_per_router);
    if (d.groups > ah + 1) {
        out.push_back({pre + "groups", "at most a*h + 1 = " + num(ah + 1) +
                                           " groups can be joined (a = " + num(d.routers_per_group) +
                                           " routers x h = " + num(d.global_links_per_router) + " global links); got " +
                                           num(d.groups)});
    } else if (ah % (d.groups - 1) != 0) {
        out.push_back({pre + "groups", "the a*h = " + num(ah) +
                                           " global links of a group do not divide evenly among the " +
                                           num(d.groups - 1) + " other groups"});
    }
    const std::int64_t n = mul(mul(d.terminals_per_router, d.routers_per_group), d.groups);
    if (!c.group_path.empty() && n != c.group)
        out.push_back({c.group_path, "the dragonfly holds p*a*g = " + num(n) + " accelerators, not " + num(c.group)});
    if (c.subgroup > 1)
        out.push_back({c.group_path, "a dragonfly level cannot contain a lower level (it must be the bottom level)"});
}

void check_network(Problems& out, const Context& c, const Network& n) {
    if (const auto* clos = std::get_if<ClosNetwork>(&n)) check_clos(out, c, *clos);
    if (const auto* mesh = std::get_if<FullMeshNetwork>(&n)) check_mesh(out, c, *mesh);
    if (const auto* torus = std::get_if<TorusNetwork>(&n)) check_torus(out, c, *torus);
    if (const auto* df = std::get_if<DragonflyNetwork>(&n)) check_dragonfly(out, c, *df);
}

void check_ub_mesh(Problems& out, const std::string& pre, const UbMeshParams& p) {
    Context mesh_ctx{pre, 0, "", 1};
    FullMeshNetwork mesh{p.dims, 0, 0, {}};
    check_mesh(out, mesh_ctx, mesh);
    if (p.rack_dims < 1 || p.rack_dims > static_cast<std::int64_t>(p.dims.size()))
        out.push_back({pre + "rack_dims", "must be between 1 and the number of dimensions (" +
                                              num(static_cast<std::int64_t>(p.dims.size())) + "); got " +
                                              num(p.rack_dims)});
    if (p.spares_per_rack < 0)
        out.push_back({pre + "spares_per_rack", "must not be negative (got " + num(p.spares_per_rack) + ")"});
    if (p.spares_per_rack > 0) check_link(out, pre + "spare_link", p.spare_link);
    at_least(out, pre + "pods", p.pods, 1);
    if (p.pods > 1 && !p.hrs)
        out.push_back({pre + "hrs", num(p.pods) + " pods need a high-radix-switch Clos (hrs) to join them"});
    bool dims_ok = !p.dims.empty();
    std::int64_t pod = 1;
    for (const auto& d : p.dims) {
        dims_ok = dims_ok && d.size >= 2;
        pod = mul(pod, d.size);
    }
    if (p.hrs && dims_ok && p.pods >= 1) check_clos(out, {pre + "hrs.", mul(pod, p.pods), pre + "pods", pod}, *p.hrs);
}

Problems finish(Problems own, const TopologyParams& p) {
    // The builder's own checks name its own fields; the composition's checks then guard the
    // conversion (they find nothing when the builder's checks are complete).
    if (!own.empty()) return own;
    return validate(to_hierarchical(p));
}

}  // namespace

std::string format(const std::vector<Problem>& problems) {
    std::string s;
    for (const auto& p : problems) s += (s.empty() ? "" : "; ") + p.parameter + ": " + p.message;
    return s;
}

InvalidParams::InvalidParams(std::vector<Problem> problems)
    : TopologyError("invalid topology parameters: " + format(problems)), problems_(std::move(problems)) {}

namespace {
std::string join_names(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
}
}  // namespace

UnknownBuilder::UnknownBuilder(const std::string& name, std::vector<std::string> valid_names)
    : TopologyError("unknown topology builder '" + name + "'; valid names: " + join_names(valid_names)),
      valid_(std::move(valid_names)) {}

std::vector<Problem> validate(const SingleSwitchParams& p) {
    Problems out;
    at_least(out, "accelerators", p.accelerators, 2);
    at_least(out, "links_per_accelerator", p.links_per_accelerator, 1);
    if (p.radix < 1) {
        out.push_back({"radix", "must be at least 1 (got " + num(p.radix) + ")"});
    } else if (p.accelerators >= 2 && p.links_per_accelerator >= 1 &&
               p.radix < mul(p.accelerators, p.links_per_accelerator)) {
        out.push_back({"radix", "radix " + num(p.radix) + " is too small for " + num(p.accelerators) +
                                    " accelerators x " + num(p.links_per_accelerator) + " link(s) (" +
                                    num(mul(p.accelerators, p.links_per_accelerator)) + " ports needed)"});
    }
    check_link(out, "link", p.link);
    return finish(out, p);
}

std::vector<Problem> validate(const RingParams& p) {
    Problems out;
    if (p.accelerators < 3)
        out.push_back({"accelerators", "a ring needs at least 3 accelerators (got " + num(p.accelerators) + ")"});
    check_link(out, "link", p.link);
    return finish(out, p);
}

std::vector<Problem> validate(const TorusParams& p) {
    Problems out;
    check_torus(out, {"", 0, "", 1}, TorusNetwork{p.dims, p.link});
    return finish(out, p);
}

std::vector<Problem> validate(const FullMeshParams& p) {
    Problems out;
    at_least(out, "accelerators", p.accelerators, 2);
    check_link(out, "link", p.link);
    return finish(out, p);
}

std::vector<Problem> validate(const FatTreeParams& p) {
    Problems out;
    at_least(out, "accelerators", p.accelerators, 2);
    check_clos(out, {"network.", std::max<std::int64_t>(p.accelerators, 0), "accelerators", 1}, p.network);
    return finish(out, p);
}

std::vector<Problem> validate(const DragonflyParams& p) {
    Problems out;
    check_dragonfly(out, {"network.", 0, "", 1}, p.network);
    return finish(out, p);
}

std::vector<Problem> validate(const UbMeshParams& p) {
    Problems out;
    check_ub_mesh(out, "", p);
    return finish(out, p);
}

std::vector<Problem> validate(const ScaleUpScaleOutParams& p) {
    Problems out;
    at_least(out, "domains", p.domains, 1);
    at_least(out, "domain_size", p.domain_size, 2);
    if (p.scale_up_name.empty()) out.push_back({"scale_up_name", "must not be empty"});
    if (p.scale_out_name.empty()) out.push_back({"scale_out_name", "must not be empty"});
    if (!p.scale_up_name.empty() && p.scale_up_name == p.scale_out_name)
        out.push_back({"scale_out_name", "must differ from scale_up_name ('" + p.scale_up_name + "')"});
    if (p.domain_size >= 2) check_clos(out, {"scale_up.", p.domain_size, "domain_size", 1}, p.scale_up);
    if (p.domain_size >= 2 && p.domains >= 1)
        check_clos(out, {"scale_out.", mul(p.domains, p.domain_size), "domains", p.domain_size}, p.scale_out);
    return finish(out, p);
}

std::vector<Problem> validate(const SuperClusterParams& p) {
    Problems out;
    at_least(out, "superpods", p.superpods, 1);
    check_ub_mesh(out, "superpod.", p.superpod);
    if (p.scale_out_name.empty() || p.scale_out_name == "ub_mesh" || p.scale_out_name == "hrs")
        out.push_back({"scale_out_name",
                       "must be a non-empty name other than 'ub_mesh' and 'hrs' (got '" + p.scale_out_name + "')"});
    bool dims_ok = !p.superpod.dims.empty();
    std::int64_t superpod = std::max<std::int64_t>(p.superpod.pods, 1);
    for (const auto& d : p.superpod.dims) {
        dims_ok = dims_ok && d.size >= 2;
        superpod = mul(superpod, d.size);
    }
    if (dims_ok && p.superpods >= 1)
        check_clos(out, {"scale_out.", mul(superpod, p.superpods), "superpods", superpod}, p.scale_out);
    return finish(out, p);
}

std::vector<Problem> validate(const HierarchicalParams& p) {
    Problems out;
    if (p.levels.empty()) {
        out.push_back({"levels", "at least one level is needed"});
        return out;
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < p.levels.size(); ++i) {
        const auto& l = p.levels[i];
        const std::string lp = "levels[" + std::to_string(i) + "]";
        if (l.name.empty()) {
            out.push_back({lp + ".name", "must not be empty"});
        } else if (!names.insert(l.name).second) {
            out.push_back({lp + ".name", "duplicate level name '" + l.name + "'"});
        }
        if (l.group_size < 2) {
            out.push_back({lp + ".group_size", "must be at least 2 (got " + num(l.group_size) + ")"});
            continue;
        }
        const std::int64_t below = i == 0 ? 1 : p.levels[i - 1].group_size;
        if (below >= 2 && l.group_size % below != 0) {
            out.push_back(
                {lp + ".group_size",
                 num(l.group_size) + " is not a multiple of the level below's group size (" + num(below) + ")"});
            continue;
        }
        check_network(out, {lp + ".network.", l.group_size, lp + ".group_size", std::max<std::int64_t>(below, 1)},
                      l.network);
    }
    return out;
}

std::vector<Problem> validate(const TopologyParams& p) {
    return std::visit([](const auto& x) { return validate(x); }, p);
}

void require_valid(const TopologyParams& p) {
    auto problems = validate(p);
    if (!problems.empty()) throw InvalidParams(std::move(problems));
}

}  // namespace clustersim::topo
