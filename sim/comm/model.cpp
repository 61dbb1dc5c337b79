#include "comm/model.hpp"

#include <cmath>
#include <deque>
#include <limits>

#include "comm/error.hpp"
#include "comm/group_shape.hpp"

namespace clustersim::comm {

std::string_view to_string(FlowMode m) { return m == FlowMode::folded ? "folded" : "explicit_flows"; }
std::string_view to_string(Sharing s) { return s == Sharing::bottleneck ? "bottleneck" : "max_min_fair"; }

namespace {

/// Loads of the patterns seen during one call, each computed once (patterns compare by value).
class LoadCache {
public:
    LoadCache(const Fabric& f, const Placement& pl, const RunOptions& o) : f_(f), pl_(pl), o_(o) {}
    const StageLoads& get(const Pattern& p) {
        for (const auto& [pattern, loads] : entries_)
            if (pattern == p) return loads;
        StageLoads l = o_.sharing == Sharing::max_min_fair ? fair_loads(f_, pl_, p, o_.loads)
                       : o_.mode == FlowMode::explicit_flows ? explicit_loads(f_, pl_, p, o_.loads)
                                                             : folded_loads(f_, pl_, p, o_.loads, scratch_);
        entries_.emplace_back(p, std::move(l));
        return entries_.back().second;
    }

private:
    const Fabric& f_;
    const Placement& pl_;
    const RunOptions& o_;
    FoldedScratch scratch_;
    std::deque<std::pair<Pattern, StageLoads>> entries_;  // deque: references stay valid
};

struct Candidate {
    std::string name;  ///< the algorithm
    Schedule schedule;
    std::vector<const StageLoads*> loads;
    int protocol = -1;  ///< index into CostModel::protocols; -1: the default protocol
    std::string label;  ///< name, or "name/PROTOCOL"
};

/// The level's figures under `p` for p's kernel family, if its library runs it.
const ProtocolCost* protocol_cost(const LevelCost& c, const Protocol& p) {
    for (const auto& pc : c.protocols)
        if (pc.name == p.name && pc.family == p.family) return &pc;
    return nullptr;
}

/// The figures of `protocol` on `level`; nullptr for the default protocol, or where the level lacks it
/// (analyse() has dropped such candidates for the levels their flows cross).
const ProtocolCost* protocol_at(const Fabric& f, int protocol, std::size_t level) {
    if (protocol < 0) return nullptr;
    return protocol_cost(f.cost().level(level), f.cost().protocols[static_cast<std::size_t>(protocol)]);
}

/// The bandwidth factor of `protocol` on `level` (1 for the default protocol).
double bandwidth_factor(const Fabric& f, int protocol, std::size_t level) {
    const ProtocolCost* pc = protocol_at(f, protocol, level);
    return pc != nullptr ? pc->bandwidth_factor : 1.0;
}

struct StageTime {
    double latency = 0, bandwidth = 0;
};

double step_latency(const Fabric& f, const StageLoads& l, std::size_t level, int protocol) {
    const auto& c = f.cost().level(level);
    const double per_hop = c.hop_latency.si() + f.levels()[level].max_link_latency_s;
    const ProtocolCost* pc = protocol_at(f, protocol, level);
    const double alpha = pc != nullptr ? pc->step_latency.si() : c.step_latency.si();
    return alpha + static_cast<double>(l.level_hops[level]) * per_hop;
}

// A protocol's bandwidth factor applies to every link the stage loads; with factors that differ
// between the levels it crosses, the smallest (NCCL's presets give every level the same).
StageTime stage_time(const Fabric& f, const Stage& s, const StageLoads& l, double bytes, int protocol) {
    std::size_t top = 0, bottom = l.level_hops.size();
    for (std::size_t i = 0; i < l.level_hops.size(); ++i)
        if (l.level_hops[i] > 0) {
            top = i;
            if (bottom == l.level_hops.size()) bottom = i;
        }
    if (bottom == l.level_hops.size()) return {};  // nothing crossed a link
    StageTime t;
    t.latency = s.latency_steps * step_latency(f, l, top, protocol) + s.inner_latency_steps * step_latency(f, l, bottom, protocol) +
                (s.peer_steps > 0 ? s.peer_steps * f.cost().level(top).one_sided->peer_latency.si() : 0.0);
    double factor = 1.0;
    for (std::size_t i = 0; i < l.level_hops.size(); ++i)
        if (l.level_hops[i] > 0) factor = std::min(factor, bandwidth_factor(f, protocol, i));
    t.bandwidth = s.repeats * s.unit * bytes * l.seconds_per_unit / factor;
    return t;
}

struct Totals {
    double latency = 0, bandwidth = 0;
    [[nodiscard]] double time() const { return latency + bandwidth; }
};

Totals totals(const Fabric& f, const Candidate& c, double bytes) {
    Totals t;
    t.latency = c.protocol < 0 ? f.cost().launch_latency.si()
                               : f.cost().protocols[static_cast<std::size_t>(c.protocol)].launch_latency.si();
    for (std::size_t i = 0; i < c.schedule.stages.size(); ++i) {
        const StageTime st = stage_time(f, c.schedule.stages[i], *c.loads[i], bytes, c.protocol);
        t.latency += st.latency;
        t.bandwidth += st.bandwidth;
    }
    return t;
}

/// The class whose busiest link transfers longest (at its effective bandwidth) over the whole
/// collective, and that link's bytes per byte of the collective.
struct Limiting {
    int cls = -1;
    double bytes_per_byte = 0;
};
Limiting limiting_class(const Fabric& f, const Candidate& c) {
    std::vector<double> busy(f.class_count(), 0.0), volume(f.class_count(), 0.0);
    for (std::size_t i = 0; i < c.schedule.stages.size(); ++i) {
        const auto& s = c.schedule.stages[i];
        const auto& l = *c.loads[i];
        for (std::size_t k = 0; k < l.class_max.size(); ++k) {
            if (!(l.class_max[k] > 0)) continue;
            double bw = f.effective_Bps(k) * bandwidth_factor(f, c.protocol, static_cast<std::size_t>(f.level_of_class(k)));
            if (l.in_network) {
                const auto& lc = f.cost().level(static_cast<std::size_t>(f.level_of_class(k)));
                if (lc.in_network) bw *= lc.in_network->efficiency;
            }
            const double v = s.repeats * s.unit * l.class_max[k];
            volume[k] += v;
            busy[k] += v / bw;
        }
    }
    Limiting out;
    double best = 0;
    for (std::size_t k = 0; k < busy.size(); ++k)
        if (busy[k] > best) {
            best = busy[k];
            out.cls = static_cast<int>(k);
            out.bytes_per_byte = volume[k];
        }
    return out;
}

void check_spec(const CollectiveSpec& spec, std::int64_t p) {
    const double b = spec.bytes.si();
    if (!std::isfinite(b) || b < 0)
        throw CommError("collective: bytes must be finite and >= 0 (got " + std::to_string(b) + ")");
    if (spec.kind == Collective::broadcast && (spec.root < 0 || spec.root >= p))
        throw CommError("broadcast: root " + std::to_string(spec.root) + " is not a rank of a group of " +
                        std::to_string(p));
    if (spec.uneven.empty()) return;
    if (spec.kind != Collective::all_to_all) throw CommError("collective: uneven weights are for all_to_all only");
    if (static_cast<std::int64_t>(spec.uneven.size()) != p * p)
        throw CommError("uneven all-to-all: " + std::to_string(spec.uneven.size()) + " weights for " +
                        std::to_string(p) + " ranks (need p x p = " + std::to_string(p * p) + ")");
    double sum = 0;
    for (const double w : spec.uneven) {
        if (!std::isfinite(w) || w < 0) throw CommError("uneven all-to-all: weights must be finite and >= 0");
        sum += w;
    }
    if (!(sum > 0)) throw CommError("uneven all-to-all: every weight is 0");
}

std::vector<Candidate> candidates(const Fabric& f, const AlgorithmRegistry& reg, const Placement& pl,
                                  const CollectiveSpec& spec, const RunOptions& o) {
    const GroupShape shape = describe_groups(f, pl);
    const AlgorithmContext ctx{f, pl, shape, spec};
    std::vector<Candidate> out;
    // The algorithm under the default protocol, then under each other protocol it runs (analyse()
    // drops those a level the groups cross does not offer).
    auto add = [&](const AlgorithmEntry& e, Schedule schedule) {
        std::ptrdiff_t variants = 0;
        for (std::size_t k = 0; e.protocols && k < f.cost().protocols.size(); ++k) {
            if (f.cost().protocols[k].family != *e.protocols) continue;
            out.push_back({e.name, schedule, {}, static_cast<int>(k), e.name + "/" + f.cost().protocols[k].name});
            ++variants;
        }
        // The default protocol first: on a tie the tuner keeps it.
        out.insert(out.end() - variants, Candidate{e.name, std::move(schedule), {}, -1, e.name});
    };
    if (!o.algorithm.empty()) {
        const auto& e = reg.at(o.algorithm);
        if (!e.supports(spec.kind))
            throw NotApplicable("algorithm '" + e.name + "' does not implement " + std::string(to_string(spec.kind)));
        auto b = e.build(ctx);
        if (!b.schedule) throw NotApplicable("algorithm '" + e.name + "' does not apply: " + b.reason);
        add(e, std::move(*b.schedule));
        return out;
    }
    for (const auto& e : reg.entries()) {
        if (!e.supports(spec.kind)) continue;
        auto b = e.build(ctx);
        if (b.schedule) add(e, std::move(*b.schedule));
    }
    if (out.empty()) throw CommError("no registered algorithm implements " + std::string(to_string(spec.kind)));
    return out;
}

void analyse(const Fabric& f, std::vector<Candidate>& cs, LoadCache& cache) {
    for (auto& c : cs)
        for (const auto& s : c.schedule.stages) c.loads.push_back(&cache.get(s.pattern));
    // A protocol runs only where every level the flows cross offers it.
    std::erase_if(cs, [&f](const Candidate& c) {
        if (c.protocol < 0) return false;
        const Protocol& p = f.cost().protocols[static_cast<std::size_t>(c.protocol)];
        for (const auto* l : c.loads)
            for (std::size_t i = 0; i < l->level_hops.size(); ++i)
                if (l->level_hops[i] > 0 && protocol_cost(f.cost().level(i), p) == nullptr) return true;
        return false;
    });
}

std::size_t fastest(const Fabric& f, const std::vector<Candidate>& cs, double bytes) {
    std::size_t best = 0;
    double t = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < cs.size(); ++i) {
        const double ti = totals(f, cs[i], bytes).time();
        if (ti < t) {
            t = ti;
            best = i;
        }
    }
    return best;
}

}  // namespace

CommModel::CommModel(const topo::Topology& topology, CostModel cost, AlgorithmRegistry algorithms)
    : fabric_(topology, std::move(cost)), algorithms_(std::move(algorithms)) {}

CollectiveResult CommModel::run(const Placement& pl, const CollectiveSpec& spec, const RunOptions& o) const {
    pl.validate(static_cast<std::uint64_t>(fabric_.accelerators()));
    const std::int64_t p = pl.group_size();
    check_spec(spec, p);
    const double bytes = spec.bytes.si();
    CollectiveResult r;
    r.kind = spec.kind;
    r.ranks = p;
    r.groups = pl.group_count();
    r.bytes = spec.bytes;
    if (p == 1) {  // nothing to send: the call costs its launch
        if (!o.algorithm.empty()) (void)algorithms_.at(o.algorithm);
        r.algorithm = o.algorithm.empty() ? "local" : o.algorithm;
        r.time = r.latency = fabric_.cost().launch_latency;
        if (r.time.si() > 0) r.algbw = units::BytesPerSecond(bytes / r.time.si());
        return r;
    }
    auto cs = candidates(fabric_, algorithms_, pl, spec, o);
    LoadCache cache(fabric_, pl, o);
    analyse(fabric_, cs, cache);
    for (const auto& c : cs) r.candidates.emplace_back(c.label, units::Seconds(totals(fabric_, c, bytes).time()));
    const Candidate& c = cs[fastest(fabric_, cs, bytes)];
    r.algorithm = c.label;
    const Totals t = totals(fabric_, c, bytes);
    r.time = units::Seconds(t.time());
    r.latency = units::Seconds(t.latency);
    r.bandwidth = units::Seconds(t.bandwidth);
    if (t.time() > 0) {
        r.algbw = units::BytesPerSecond(bytes / t.time());
        r.busbw = r.algbw * bus_factor(spec.kind, p);
    }
    for (std::size_t i = 0; i < c.schedule.stages.size(); ++i) {
        const auto& s = c.schedule.stages[i];
        const auto& l = *c.loads[i];
        const StageTime st = stage_time(fabric_, s, l, bytes, c.protocol);
        StageResult sr;
        sr.name = s.name;
        sr.pattern = describe(s.pattern);
        sr.latency = units::Seconds(st.latency);
        sr.bandwidth = units::Seconds(st.bandwidth);
        if (l.bottleneck_class >= 0) {
            sr.bottleneck = fabric_.class_label(static_cast<std::size_t>(l.bottleneck_class));
            sr.bottleneck_bytes =
                units::Bytes(s.repeats * s.unit * bytes * l.class_max[static_cast<std::size_t>(l.bottleneck_class)]);
        }
        r.stages.push_back(std::move(sr));
    }
    const Limiting lim = limiting_class(fabric_, c);
    if (lim.cls >= 0) {
        const auto k = static_cast<std::size_t>(lim.cls);
        r.bottleneck_class = lim.cls;
        r.bottleneck = fabric_.class_label(k);
        r.bottleneck_level = static_cast<int>(fabric_.level_of_class(k));
        const double line = fabric_.topology().link_classes()[k].spec.bandwidth.si();
        if (t.time() > 0) r.bottleneck_utilisation = lim.bytes_per_byte * bytes / (line * t.time());
    }
    return r;
}

const CostCurve::Line* CostCurve::best(double bytes) const {
    const Line* out = nullptr;
    double t = std::numeric_limits<double>::infinity();
    for (const auto& l : lines) {
        const double tl = l.latency_s + bytes * l.seconds_per_byte;
        if (tl < t) {
            t = tl;
            out = &l;
        }
    }
    return out;
}

const CostCurve::Line* CostCurve::preferred(std::string_view algorithm, double bytes) const {
    const Line* out = nullptr;
    double t = std::numeric_limits<double>::infinity();
    for (const auto& l : lines) {
        if (l.base != algorithm) continue;
        const double tl = l.latency_s + bytes * l.seconds_per_byte;
        if (tl < t) {
            t = tl;
            out = &l;
        }
    }
    return out != nullptr ? out : best(bytes);
}

double CostCurve::time_s(double bytes) const {
    const Line* l = best(bytes);
    return l ? l->latency_s + bytes * l->seconds_per_byte : launch_s;
}

CostCurve CommModel::curve(const Placement& pl, Collective kind, const RunOptions& o) const {
    return curves(pl, {kind}, o).front();
}

std::vector<CostCurve> CommModel::curves(const Placement& pl, const std::vector<Collective>& kinds,
                                         const RunOptions& o) const {
    if (o.sharing == Sharing::max_min_fair)
        throw CommError("cost curve: max-min fair sharing is not affine in the size; use run()");
    pl.validate(static_cast<std::uint64_t>(fabric_.accelerators()));
    std::vector<CostCurve> out(kinds.size());
    LoadCache cache(fabric_, pl, o);
    for (std::size_t k = 0; k < kinds.size(); ++k) {
        out[k].launch_s = fabric_.cost().launch_latency.si();
        if (pl.group_size() == 1) continue;
        const CollectiveSpec spec{kinds[k], units::Bytes(0.0), 0, {}};
        auto cs = candidates(fabric_, algorithms_, pl, spec, o);
        analyse(fabric_, cs, cache);
        for (const auto& c : cs) {
            // totals() is affine in the size: its latency does not depend on it, its bandwidth part is per byte at 1 byte.
            const Totals t = totals(fabric_, c, 1.0);
            const Limiting lim = limiting_class(fabric_, c);
            out[k].lines.push_back({c.label, c.name, t.latency, t.bandwidth,
                                    lim.cls >= 0 ? fabric_.class_label(static_cast<std::size_t>(lim.cls)) : std::string()});
        }
    }
    return out;
}

std::vector<BenchmarkRow> CommModel::benchmark(const Placement& pl, const CollectiveSpec& spec, const SweepSpec& sweep,
                                               const RunOptions& o) const {
    const double lo = sweep.min.si(), hi = sweep.max.si();
    if (!(lo > 0) || !(hi >= lo) || !std::isfinite(hi) || !(sweep.factor > 1) || !std::isfinite(sweep.factor))
        throw CommError("benchmark: need 0 < min <= max (finite) and factor > 1");
    if (std::log(hi / lo) / std::log(sweep.factor) > 10'000) throw CommError("benchmark: more than 10,000 sizes");
    pl.validate(static_cast<std::uint64_t>(fabric_.accelerators()));
    const std::int64_t p = pl.group_size();
    check_spec(spec, p);
    std::vector<BenchmarkRow> rows;
    std::vector<Candidate> cs;
    LoadCache cache(fabric_, pl, o);
    if (p > 1) {
        cs = candidates(fabric_, algorithms_, pl, spec, o);
        analyse(fabric_, cs, cache);
    }
    for (double b = lo; b <= hi * (1 + 1e-12); b *= sweep.factor) {
        BenchmarkRow row;
        row.bytes = units::Bytes(b);
        if (p == 1) {
            row.algorithm = o.algorithm.empty() ? "local" : o.algorithm;
            row.time = fabric_.cost().launch_latency;
            if (row.time.si() > 0) row.algbw = units::BytesPerSecond(b / row.time.si());
            rows.push_back(row);
            continue;
        }
        const Candidate& c = cs[fastest(fabric_, cs, b)];
        const Totals t = totals(fabric_, c, b);
        row.algorithm = c.label;
        row.time = units::Seconds(t.time());
        if (t.time() > 0) {
            row.algbw = units::BytesPerSecond(b / t.time());
            row.busbw = row.algbw * bus_factor(spec.kind, p);
        }
        const Limiting lim = limiting_class(fabric_, c);
        if (lim.cls >= 0) {
            const auto k = static_cast<std::size_t>(lim.cls);
            row.bottleneck = fabric_.class_label(k);
            const double line = fabric_.topology().link_classes()[k].spec.bandwidth.si();
            if (t.time() > 0) row.bottleneck_utilisation = lim.bytes_per_byte * b / (line * t.time());
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace clustersim::comm
