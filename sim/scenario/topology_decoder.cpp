#include "scenario/topology_decoder.hpp"

#include <algorithm>
#include <memory>

#include "diag/suggest.hpp"
#include "topo/metrics.hpp"
#include "topo/validate.hpp"
#include "units/dimension.hpp"
#include "units/format.hpp"

namespace clustersim::scenario {
namespace {

using topo::ClosNetwork;
using topo::LinkSpec;

// Decoding state: a reader over one mapping that remembers whether anything failed.
struct Ctx {
    const Source& src;
    bool ok = true;

    MapReader map(const YAML::Node& n, const std::string& path, std::vector<std::string> keys) {
        MapReader m(src, n, path, std::move(keys));
        ok = ok && m.ok();
        return m;
    }
    template <class T>
    T check(std::optional<T> v, T fallback) {
        ok = ok && v.has_value();
        return v.value_or(fallback);
    }
    std::int64_t integer(const MapReader& m, std::string_view key, std::int64_t min, std::optional<std::int64_t> dflt) {
        if (!m.has(key)) {
            if (dflt) return *dflt;
            if (m.ok() && !m.misspelt(key)) src.error(m.node(), m.path(), "missing key '" + std::string(key) + "'");
            ok = false;
            return 0;
        }
        return check(as_integer(src, m.get(key), join_path(m.path(), key), min), std::int64_t{0});
    }
    std::string text(const MapReader& m, std::string_view key, std::optional<std::string> dflt) {
        if (!m.has(key) && dflt) return *dflt;
        return check(m.string(key, true), std::string());
    }
    YAML::Node node(const MapReader& m, std::string_view key) {
        if (!m.has(key)) {
            if (m.ok() && !m.misspelt(key)) src.error(m.node(), m.path(), "missing key '" + std::string(key) + "'");
            ok = false;
        }
        return m.get(key);
    }
    double number(const MapReader& m, std::string_view key, double min, double dflt) {
        if (!m.has(key)) return dflt;
        const YAML::Node n = m.get(key);
        const std::string path = join_path(m.path(), key);
        const std::string s = n.IsScalar() ? n.Scalar() : std::string();
        const auto number = plain_number(n);
        if (!number) {
            src.error(n, path, "expected a plain number, got " + (n.IsScalar() ? "'" + s + "'" : std::string(node_kind(n))));
            ok = false;
            return dflt;
        }
        const double v = *number;
        if (v < min) {
            src.error(n, path, "must be at least " + units::round_trip(min) + ", got " + s);
            ok = false;
        }
        return v;
    }
};

LinkSpec link(Ctx& c, const YAML::Node& n, const std::string& path) {
    auto m = c.map(n, path, {"bandwidth", "latency", "medium", "transceivers"});
    LinkSpec l;
    if (!m.ok()) return l;
    const YAML::Node bw = c.node(m, "bandwidth");
    if (bw.IsDefined()) {
        l.bandwidth = units::BytesPerSecond(
            c.check(as_quantity(c.src, bw, join_path(path, "bandwidth"), units::Dimension::data_rate, false), 0.0));
    }
    if (m.has("latency")) {
        l.latency = units::Seconds(
            c.check(as_quantity(c.src, m.get("latency"), join_path(path, "latency"), units::Dimension::time, true), 0.0));
    }
    const std::string medium = m.has("medium") ? c.check(as_choice(c.src, m.get("medium"), join_path(path, "medium"),
                                                                   {"electrical", "optical"}),
                                                         std::string("electrical"))
                                               : "electrical";
    l.medium = medium == "optical" ? topo::Medium::optical : topo::Medium::electrical;
    // An optical link has a module at each end unless the file says otherwise.
    l.transceivers = c.integer(m, "transceivers", 0, l.medium == topo::Medium::optical ? 2 : 0);
    return l;
}

// `kind` names the network inside a hierarchical level; elsewhere the builder says what it is.
std::vector<std::string> keys_of(std::vector<std::string> keys, bool in_level) {
    if (in_level) keys.insert(keys.begin(), "kind");
    return keys;
}

ClosNetwork clos(Ctx& c, const YAML::Node& n, const std::string& path, bool in_level = false) {
    auto m = c.map(n, path, keys_of({"tiers", "planes", "links_per_accelerator", "rails"}, in_level));
    ClosNetwork net;
    if (!m.ok()) return net;
    const YAML::Node tiers = c.node(m, "tiers");
    if (tiers.IsDefined() && (!tiers.IsSequence() || tiers.size() == 0)) {
        c.src.error(tiers, join_path(path, "tiers"), "expected a non-empty list of switch tiers, leaf first");
        c.ok = false;
    } else if (tiers.IsDefined()) {
        for (std::size_t i = 0; i < tiers.size(); ++i) {
            const std::string tp = index_path(join_path(path, "tiers"), i);
            auto t = c.map(tiers[i], tp, {"name", "radix", "oversubscription", "down_link"});
            if (!t.ok()) continue;
            topo::ClosTier tier;
            tier.name = c.text(t, "name", std::nullopt);
            tier.radix = c.integer(t, "radix", 1, std::nullopt);
            tier.oversubscription = c.number(t, "oversubscription", 1.0, 1.0);
            const YAML::Node down = c.node(t, "down_link");
            if (down.IsDefined()) tier.down_link = link(c, down, join_path(tp, "down_link"));
            net.tiers.push_back(std::move(tier));
        }
    }
    net.planes = c.integer(m, "planes", 1, 1);
    net.links_per_accelerator = c.integer(m, "links_per_accelerator", 1, 1);
    net.rails = c.integer(m, "rails", 1, 1);
    return net;
}

std::vector<topo::MeshDimension> mesh_dims(Ctx& c, const YAML::Node& n, const std::string& path) {
    std::vector<topo::MeshDimension> dims;
    if (!n.IsSequence() || n.size() == 0) {
        c.src.error(n, path, "expected a non-empty list of {size, link}");
        c.ok = false;
        return dims;
    }
    for (std::size_t i = 0; i < n.size(); ++i) {
        const std::string dp = index_path(path, i);
        auto d = c.map(n[i], dp, {"size", "link"});
        if (!d.ok()) continue;
        topo::MeshDimension dim;
        dim.size = c.integer(d, "size", 1, std::nullopt);
        const YAML::Node l = c.node(d, "link");
        if (l.IsDefined()) dim.link = link(c, l, join_path(dp, "link"));
        dims.push_back(dim);
    }
    return dims;
}

std::vector<std::int64_t> int_list(Ctx& c, const YAML::Node& n, const std::string& path) {
    std::vector<std::int64_t> out;
    if (!n.IsSequence() || n.size() == 0) {
        c.src.error(n, path, "expected a non-empty list of integers");
        c.ok = false;
        return out;
    }
    for (std::size_t i = 0; i < n.size(); ++i) out.push_back(c.check(as_integer(c.src, n[i], index_path(path, i), 1), std::int64_t{0}));
    return out;
}

topo::FullMeshNetwork full_mesh(Ctx& c, const YAML::Node& n, const std::string& path) {
    auto m = c.map(n, path, keys_of({"dims", "spares_per_block", "spare_block", "spare_link"}, true));
    topo::FullMeshNetwork net;
    if (!m.ok()) return net;
    const YAML::Node dims = c.node(m, "dims");
    if (dims.IsDefined()) net.dims = mesh_dims(c, dims, join_path(path, "dims"));
    net.spares_per_block = c.integer(m, "spares_per_block", 0, 0);
    net.spare_block = c.integer(m, "spare_block", 0, 0);
    if (m.has("spare_link")) net.spare_link = link(c, m.get("spare_link"), join_path(path, "spare_link"));
    return net;
}

topo::TorusNetwork torus(Ctx& c, const YAML::Node& n, const std::string& path) {
    auto m = c.map(n, path, keys_of({"dims", "link"}, true));
    topo::TorusNetwork net;
    if (!m.ok()) return net;
    const YAML::Node dims = c.node(m, "dims");
    if (dims.IsDefined()) net.dims = int_list(c, dims, join_path(path, "dims"));
    const YAML::Node l = c.node(m, "link");
    if (l.IsDefined()) net.link = link(c, l, join_path(path, "link"));
    return net;
}

topo::DragonflyNetwork dragonfly(Ctx& c, const YAML::Node& n, const std::string& path, bool in_level = false) {
    auto m = c.map(n, path, keys_of({"terminals_per_router", "routers_per_group", "global_links_per_router", "groups",
                                     "terminal_link", "local_link", "global_link", "router_name"},
                                    in_level));
    topo::DragonflyNetwork net;
    if (!m.ok()) return net;
    net.terminals_per_router = c.integer(m, "terminals_per_router", 1, std::nullopt);
    net.routers_per_group = c.integer(m, "routers_per_group", 1, std::nullopt);
    net.global_links_per_router = c.integer(m, "global_links_per_router", 1, std::nullopt);
    net.groups = c.integer(m, "groups", 1, std::nullopt);
    for (auto [key, field] : {std::pair{"terminal_link", &net.terminal_link}, std::pair{"local_link", &net.local_link},
                              std::pair{"global_link", &net.global_link}}) {
        const YAML::Node l = c.node(m, key);
        if (l.IsDefined()) *field = link(c, l, join_path(path, key));
    }
    net.router_name = c.text(m, "router_name", "router");
    return net;
}

topo::Network network(Ctx& c, const YAML::Node& n, const std::string& path) {
    if (!n.IsMap() || !n["kind"].IsDefined()) {
        c.src.error(n, path, "a network needs 'kind': clos, full_mesh, torus or dragonfly");
        c.ok = false;
        return ClosNetwork{};
    }
    const auto kind = as_choice(c.src, n["kind"], join_path(path, "kind"), {"clos", "full_mesh", "torus", "dragonfly"});
    if (!kind) {
        c.ok = false;
        return ClosNetwork{};
    }
    if (*kind == "clos") return clos(c, n, path, true);
    if (*kind == "full_mesh") return full_mesh(c, n, path);
    if (*kind == "torus") return torus(c, n, path);
    return dragonfly(c, n, path, true);
}

topo::UbMeshParams ub_mesh(Ctx& c, const MapReader& m, const std::string& path) {
    topo::UbMeshParams p;
    const YAML::Node dims = c.node(m, "dims");
    if (dims.IsDefined()) p.dims = mesh_dims(c, dims, join_path(path, "dims"));
    p.rack_dims = c.integer(m, "rack_dims", 1, 2);
    p.spares_per_rack = c.integer(m, "spares_per_rack", 0, 0);
    if (m.has("spare_link")) p.spare_link = link(c, m.get("spare_link"), join_path(path, "spare_link"));
    p.pods = c.integer(m, "pods", 1, 1);
    if (m.has("hrs")) p.hrs = clos(c, m.get("hrs"), join_path(path, "hrs"));
    return p;
}

const std::vector<std::string> ub_mesh_keys{"dims", "rack_dims", "spares_per_rack", "spare_link", "pods", "hrs"};

std::vector<std::string> with_header(std::vector<std::string> keys) {
    keys.insert(keys.begin(), {"builder", "source", "note", "parts"});
    return keys;
}

// One `parts:` entry: an id of the wanted kind of network part, or null (no public part).
template <class Spec>
std::shared_ptr<const Spec> part_id(const Source& src, const YAML::Node& n, const std::string& path,
                                    const std::map<std::string, Spec, std::less<>>& wanted, std::string_view kind,
                                    const NetworkPartNames& names, bool& ok) {
    if (n.IsNull()) return nullptr;
    const auto id = as_string(src, n, path);
    if (!id) {
        ok = false;
        return nullptr;
    }
    if (const auto it = wanted.find(*id); it != wanted.end()) return std::make_shared<const Spec>(it->second);
    if (names.unloaded.count(*id) != 0) return nullptr;  // its file's own problems are reported
    const auto& cat = *names.catalog;
    const bool other = kind == "switch" ? cat.transceivers.count(*id) != 0 : cat.switches.count(*id) != 0;
    const auto ids = kind == "switch" ? cat.switch_ids() : cat.transceiver_ids();
    const std::string valid = "; valid " + std::string(kind) + " ids: " +
                              (ids.empty() ? std::string("none (models/network/ has none)") : diag::join_names(ids));
    if (other) {
        src.error(n, path, "'" + *id + "' is a " + std::string(kind == "switch" ? "transceiver" : "switch") + ", not a " +
                               std::string(kind) + valid);
    } else {
        // A part file that failed to load may be the one meant.
        auto candidates = ids;
        candidates.insert(candidates.end(), names.unloaded.begin(), names.unloaded.end());
        src.error(n, path, "unknown " + std::string(kind) + " '" + *id + "'" + diag::did_you_mean(*id, candidates) + valid);
    }
    ok = false;
    return nullptr;
}

// `parts:`: each switch tier of the topology (topo::SwitchCount::name) -> a switch id, and
// `transceiver` -> a transceiver id. Tiers left out stay without a part (their figures unknown).
catalog::TopologyParts decode_parts(const Source& src, const YAML::Node& node, const std::string& path,
                                    const topo::TopologyParams& params, const NetworkPartNames& names, bool& ok) {
    catalog::TopologyParts out;
    std::vector<std::string> tiers;
    for (const auto& s : topo::analyze(params).switch_counts) {
        if (std::find(tiers.begin(), tiers.end(), s.name) == tiers.end()) tiers.push_back(s.name);
    }
    std::vector<std::string> keys = tiers;
    keys.emplace_back("transceiver");
    const MapReader m(src, node, path, keys);
    if (!m.ok()) {
        ok = false;
        return out;
    }
    for (const auto& tier : tiers) {
        if (!m.has(tier)) continue;
        if (auto part = part_id(src, m.get(tier), join_path(path, tier), names.catalog->switches, "switch", names, ok)) {
            out.switches.emplace(tier, std::move(part));
        }
    }
    if (m.has("transceiver")) {
        out.transceiver = part_id(src, m.get("transceiver"), join_path(path, "transceiver"), names.catalog->transceivers,
                                  "transceiver", names, ok);
    }
    return out;
}

// The params of one builder, from the keys of the `topology:` mapping itself.
std::optional<topo::TopologyParams> builder_params(Ctx& c, const std::string& builder, const YAML::Node& n,
                                                   const std::string& path) {
    if (builder == "single_switch") {
        auto m = c.map(n, path, with_header({"accelerators", "radix", "link", "links_per_accelerator"}));
        topo::SingleSwitchParams p;
        p.accelerators = c.integer(m, "accelerators", 1, std::nullopt);
        p.radix = c.integer(m, "radix", 1, std::nullopt);
        const YAML::Node l = c.node(m, "link");
        if (l.IsDefined()) p.link = link(c, l, join_path(path, "link"));
        p.links_per_accelerator = c.integer(m, "links_per_accelerator", 1, 1);
        return p;
    }
    if (builder == "ring" || builder == "full_mesh") {
        auto m = c.map(n, path, with_header({"accelerators", "link"}));
        const std::int64_t count = c.integer(m, "accelerators", 1, std::nullopt);
        const YAML::Node l = c.node(m, "link");
        const LinkSpec spec = l.IsDefined() ? link(c, l, join_path(path, "link")) : LinkSpec{};
        if (builder == "ring") return topo::RingParams{count, spec};
        return topo::FullMeshParams{count, spec};
    }
    if (builder == "torus") {
        auto m = c.map(n, path, with_header({"dims", "link"}));
        topo::TorusParams p;
        const YAML::Node dims = c.node(m, "dims");
        if (dims.IsDefined()) p.dims = int_list(c, dims, join_path(path, "dims"));
        const YAML::Node l = c.node(m, "link");
        if (l.IsDefined()) p.link = link(c, l, join_path(path, "link"));
        return p;
    }
    if (builder == "ub_mesh") {
        auto m = c.map(n, path, with_header(ub_mesh_keys));
        return ub_mesh(c, m, path);
    }
    if (builder == "fat_tree") {
        auto m = c.map(n, path, with_header({"accelerators", "network"}));
        topo::FatTreeParams p;
        p.accelerators = c.integer(m, "accelerators", 1, std::nullopt);
        const YAML::Node net = c.node(m, "network");
        if (net.IsDefined()) p.network = clos(c, net, join_path(path, "network"));
        return p;
    }
    if (builder == "dragonfly") {
        auto m = c.map(n, path, with_header({"network"}));
        const YAML::Node net = c.node(m, "network");
        return topo::DragonflyParams{net.IsDefined() ? dragonfly(c, net, join_path(path, "network")) : topo::DragonflyNetwork{}};
    }
    if (builder == "scale_up_scale_out") {
        auto m = c.map(n, path, with_header({"domains", "domain_size", "scale_up_name", "scale_up", "scale_out_name", "scale_out"}));
        topo::ScaleUpScaleOutParams p;
        p.domains = c.integer(m, "domains", 1, std::nullopt);
        p.domain_size = c.integer(m, "domain_size", 1, std::nullopt);
        p.scale_up_name = c.text(m, "scale_up_name", "scale_up");
        p.scale_out_name = c.text(m, "scale_out_name", "scale_out");
        const YAML::Node up = c.node(m, "scale_up");
        if (up.IsDefined()) p.scale_up = clos(c, up, join_path(path, "scale_up"));
        const YAML::Node out = c.node(m, "scale_out");
        if (out.IsDefined()) p.scale_out = clos(c, out, join_path(path, "scale_out"));
        return p;
    }
    if (builder == "supercluster") {
        auto m = c.map(n, path, with_header({"superpods", "superpod", "scale_out_name", "scale_out"}));
        topo::SuperClusterParams p;
        p.superpods = c.integer(m, "superpods", 1, std::nullopt);
        const YAML::Node pod = c.node(m, "superpod");
        if (pod.IsDefined()) {
            auto pm = c.map(pod, join_path(path, "superpod"), ub_mesh_keys);
            if (pm.ok()) p.superpod = ub_mesh(c, pm, join_path(path, "superpod"));
        }
        p.scale_out_name = c.text(m, "scale_out_name", "uboe");
        const YAML::Node out = c.node(m, "scale_out");
        if (out.IsDefined()) p.scale_out = clos(c, out, join_path(path, "scale_out"));
        return p;
    }
    if (builder == "hierarchical") {
        auto m = c.map(n, path, with_header({"levels"}));
        topo::HierarchicalParams p;
        const YAML::Node levels = c.node(m, "levels");
        if (levels.IsDefined() && (!levels.IsSequence() || levels.size() == 0)) {
            c.src.error(levels, join_path(path, "levels"), "expected a non-empty list of levels, scale-up first");
            c.ok = false;
        } else if (levels.IsDefined()) {
            for (std::size_t i = 0; i < levels.size(); ++i) {
                const std::string lp = index_path(join_path(path, "levels"), i);
                auto lm = c.map(levels[i], lp, {"name", "plane", "group_size", "network"});
                if (!lm.ok()) continue;
                topo::LevelParams level;
                level.name = c.text(lm, "name", std::nullopt);
                if (lm.has("plane")) {
                    const auto plane = c.check(as_choice(c.src, lm.get("plane"), join_path(lp, "plane"), {"scale_up", "scale_out"}),
                                               std::string("scale_out"));
                    level.plane_kind = plane == "scale_up" ? topo::PlaneKind::scale_up : topo::PlaneKind::scale_out;
                }
                level.group_size = c.integer(lm, "group_size", 1, std::nullopt);
                const YAML::Node net = c.node(lm, "network");
                if (net.IsDefined()) level.network = network(c, net, join_path(lp, "network"));
                p.levels.push_back(std::move(level));
            }
        }
        return p;
    }
    return std::nullopt;
}

// The YAML node a validation problem's parameter path ("network.tiers[1].radix") points at,
// or the deepest node on the way.
YAML::Node node_at(const YAML::Node& root, const std::string& parameter) {
    YAML::Node cur;
    cur.reset(root);
    std::size_t i = 0;
    while (i < parameter.size()) {
        const std::size_t end = parameter.find_first_of(".[", i);
        const std::string key = parameter.substr(i, end == std::string::npos ? std::string::npos : end - i);
        if (!key.empty()) {
            if (!cur.IsMap() || !cur[key].IsDefined()) return cur;
            YAML::Node next = cur[key];
            cur.reset(next);
        }
        if (end == std::string::npos) break;
        if (parameter[end] == '[') {
            const std::size_t close = parameter.find(']', end);
            const std::size_t index = static_cast<std::size_t>(std::stoul(parameter.substr(end + 1, close - end - 1)));
            if (!cur.IsSequence() || index >= cur.size()) return cur;
            YAML::Node next = cur[index];
            cur.reset(next);
            i = close + 1;
            if (i < parameter.size() && parameter[i] == '.') ++i;
        } else {
            i = end + 1;
        }
    }
    return cur;
}

}  // namespace

topo::BuilderRegistry builtin_topologies() {
    topo::BuilderRegistry r;
    topo::register_builtin_builders(r);
    return r;
}

bool check_topology_size(const Source& src, const YAML::Node& node, const std::string& path,
                         const catalog::TopologySpec& topology, std::int64_t chips, const std::string& whose) {
    const std::int64_t held = topo::analyze(topology.params).accelerators;
    if (held == chips) return true;
    src.error(node, path,
              "the topology holds " + std::to_string(held) + " accelerators, but " + whose + " has " +
                  std::to_string(chips) + " chips: " + (held < chips ? "too small" : "too large") +
                  "; size the topology to the chip count");
    return false;
}

std::optional<catalog::TopologySpec> decode_topology(const Source& src, const YAML::Node& node, const std::string& path,
                                                     const topo::BuilderRegistry& registry,
                                                     const NetworkPartNames* parts) {
    if (!node.IsMap() || !node["builder"].IsDefined()) {
        src.error(node, path, "a topology needs 'builder': one of " + diag::join_names(registry.names()) +
                                  " (see 'clustersim list topologies')");
        return std::nullopt;
    }
    Ctx c{src};
    catalog::TopologySpec t;
    t.builder = c.check(as_string(src, node["builder"], join_path(path, "builder")), std::string());
    if (!c.ok) return std::nullopt;
    if (registry.find(t.builder) == nullptr) {
        src.error(node["builder"], join_path(path, "builder"),
                  "unknown builder '" + t.builder + "'" + diag::did_you_mean(t.builder, registry.names()) +
                      "; valid: " + diag::join_names(registry.names()));
        return std::nullopt;
    }
    auto params = builder_params(c, t.builder, node, path);
    if (node["source"].IsDefined()) t.source = c.check(as_string(src, node["source"], join_path(path, "source")), std::string());
    if (node["note"].IsDefined()) t.note = c.check(as_string(src, node["note"], join_path(path, "note")), std::string());
    if (!c.ok || !params) return std::nullopt;
    const auto problems = topo::validate(*params);
    for (const auto& p : problems) src.error(node_at(node, p.parameter), join_path(path, p.parameter), p.message);
    if (!problems.empty()) return std::nullopt;
    t.params = std::move(*params);
    if (node["parts"].IsDefined()) {
        if (parts == nullptr || parts->catalog == nullptr) {
            src.error(node["parts"], join_path(path, "parts"), "network parts can only be named where the catalog is loaded");
            return std::nullopt;
        }
        bool ok = true;
        t.parts = decode_parts(src, node["parts"], join_path(path, "parts"), t.params, *parts, ok);
        if (!ok) return std::nullopt;
    }
    return t;
}

}  // namespace clustersim::scenario
