#include "scenario/comm_decoder.hpp"

#include <cmath>
#include <string>

#include "comm/placement.hpp"
#include "diag/suggest.hpp"

namespace clustersim::scenario {
namespace {

const std::vector<std::string> comm_keys{"collective", "group_size", "stride", "sizes", "algorithm"};
const std::vector<std::string> size_keys{"from", "to", "factor"};

// Far beyond any cluster; keeps group_size x stride inside 64 bits.
constexpr std::int64_t max_ranks = std::int64_t{1} << 30;
// nccl-tests' largest buffers are a few GiB; 1 PiB is far beyond any.
constexpr double max_bytes = 1125899906842624.0;
// Sizes in one sweep (CommModel::benchmark refuses more).
constexpr int max_sizes = 10'000;

std::optional<comm::SweepSpec> decode_sizes(const Source& src, const YAML::Node& node, const std::string& path) {
    MapReader m(src, node, path, size_keys);
    if (!m.ok()) return std::nullopt;
    comm::SweepSpec s;
    bool ok = true;
    auto bytes = [&](std::string_view key, units::Bytes& out, std::string_view example) {
        const auto n = m.require(key, "a message size such as \"" + std::string(example) + "\"");
        if (!n) {
            ok = false;
            return;
        }
        auto q = as_quantity(src, *n, join_path(path, key), units::Dimension::data, false);
        if (q && !(*q > 0 && *q <= max_bytes)) {
            src.error(*n, join_path(path, key), "must be above 0 B and at most 1 PiB");
            q.reset();
        }
        ok = ok && q.has_value();
        if (q) out = units::Bytes(*q);
    };
    bytes("from", s.min, "8 B");
    bytes("to", s.max, "8 GiB");
    if (m.has("factor")) ok = read_number(src, m, "factor", s.factor, 1.0, 1e6, true, "the size step, a number above 1 such as 2") && ok;
    if (m.has("factor") && s.factor <= 1.0) {
        src.error(m.get("factor"), join_path(path, "factor"), "must be above 1 (each size is factor times the previous)");
        ok = false;
    }
    if (ok && s.max.si() < s.min.si()) {  // both sizes read
        src.error(m.get("to"), join_path(path, "to"), "is smaller than 'from': the sizes run from 'from' up to 'to'");
        ok = false;
    }
    // CommModel::benchmark's limit, checked here so that `clustersim check` finds it.
    if (ok && std::log(s.max.si() / s.min.si()) / std::log(s.factor) >= max_sizes) {
        src.error(m.has("factor") ? m.get("factor") : m.node(), m.has("factor") ? join_path(path, "factor") : path,
                  "gives more than " + std::to_string(max_sizes) + " sizes from 'from' to 'to': raise the factor");
        ok = false;
    }
    if (!ok) return std::nullopt;
    return s;
}

}  // namespace

std::optional<comm::BenchmarkSpec> decode_comm(const Source& src, const YAML::Node& node, const std::string& path) {
    MapReader m(src, node, path, comm_keys);
    if (!m.ok()) return std::nullopt;
    comm::BenchmarkSpec spec;
    bool ok = true;
    bool kind_known = false;
    if (auto name = m.string("collective", true)) {
        if (const auto kind = comm::collective_from_string(*name)) {
            spec.kind = *kind;
            kind_known = true;
        } else {
            const auto names = comm::collective_names();
            src.error(m.get("collective"), join_path(path, "collective"),
                      "unknown collective '" + *name + "'" + diag::did_you_mean(*name, names) + "; valid: " + diag::join_names(names));
            ok = false;
        }
    } else {
        ok = false;
    }
    if (m.has("group_size")) {
        auto v = m.integer("group_size", false, 1, max_ranks);
        ok = ok && v.has_value();
        spec.group_size = v.value_or(0);
    }
    if (m.has("stride")) {
        auto v = m.integer("stride", false, 1, max_ranks);
        ok = ok && v.has_value();
        spec.stride = v.value_or(1);
    }
    if (m.has("sizes")) {
        auto s = decode_sizes(src, m.get("sizes"), join_path(path, "sizes"));
        ok = ok && s.has_value();
        if (s) spec.sizes = *s;
    }
    if (m.has("algorithm")) {
        if (auto a = m.string("algorithm", false)) {
            const auto registry = comm::builtin_algorithms();
            const auto* entry = registry.find(*a);
            const auto valid = kind_known ? registry.names_for({spec.kind}) : registry.names();
            if (entry == nullptr) {
                src.error(m.get("algorithm"), join_path(path, "algorithm"),
                          "unknown algorithm '" + *a + "'" + diag::did_you_mean(*a, registry.names()) + "; valid" +
                              (kind_known ? " for " + std::string(comm::to_string(spec.kind)) : std::string()) + ": " +
                              diag::join_names(valid) +
                              " (clustersim list algorithms), or leave it out for the tuner's choice");
                ok = false;
            } else if (kind_known && !entry->supports(spec.kind)) {
                src.error(m.get("algorithm"), join_path(path, "algorithm"),
                          "algorithm '" + *a + "' does not run " + std::string(comm::to_string(spec.kind)) +
                              "; valid for it: " + diag::join_names(valid));
                ok = false;
            } else {
                spec.algorithm = *a;
            }
        } else {
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return spec;
}

bool check_comm_groups(const Source& src, const YAML::Node& node, const std::string& path, const comm::BenchmarkSpec& spec,
                       std::int64_t chips) {
    const auto why = comm::Placement::tiling_problem(chips, spec.group_size > 0 ? spec.group_size : chips, spec.stride);
    if (!why) return true;
    // At the key that does not fit (group_size left out: every chip in one group, which always fits).
    const char* key = why->rfind("group_size", 0) == 0 ? "group_size" : "stride";
    const bool at_key = node.IsMap() && node[key].IsDefined();
    src.error(at_key ? node[key] : node, at_key ? join_path(path, key) : path, *why);
    return false;
}

}  // namespace clustersim::scenario
