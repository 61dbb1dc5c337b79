// The folded (fast) link-load computation; see loads.hpp for the approach and
// docs/models/comm.md for the formulas.
#include <algorithm>
#include <array>
#include <cmath>
#include <unordered_set>

#include "comm/error.hpp"
#include "comm/loads.hpp"
#include "comm/routing.hpp"

namespace clustersim::comm {

std::string_view to_string(MeshRouting m) {
    switch (m) {
        case MeshRouting::shortest: return "shortest";
        case MeshRouting::all_path: return "all_path";
        case MeshRouting::adaptive: return "adaptive";
    }
    return "?";
}

namespace detail {

void finish(const Fabric& f, StageLoads& s) {
    s.seconds_per_unit = 0;
    s.bottleneck_class = -1;
    for (std::size_t c = 0; c < s.class_max.size(); ++c) {
        if (!(s.class_max[c] > 0)) continue;
        double bw = f.effective_Bps(c);
        if (s.in_network) {
            const auto& lc = f.cost().level(static_cast<std::size_t>(f.level_of_class(c)));
            if (lc.in_network) bw *= lc.in_network->efficiency;
        }
        const double t = s.class_max[c] / bw;
        if (t > s.seconds_per_unit) {
            s.seconds_per_unit = t;
            s.bottleneck_class = static_cast<int>(c);
        }
    }
}

}  // namespace detail

namespace {

using topo::NodeId;

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

struct Member {
    std::int64_t acc = 0;
    std::int64_t group = 0;
    std::int64_t rank = 0;
    std::int64_t line = 0;  ///< the rank with its line coordinate zeroed
    std::int64_t bucket = 0;  ///< group x ranks + line: members of one line of one group share it
};

void raise(double& slot, double v) { slot = std::max(slot, v); }

}  // namespace

/// Per-accelerator, per-leaf and per-pod counts and their touched marks; all zero between uses.
struct FoldedScratch::Buffers {
    std::vector<Member> members;
    std::vector<double> acc_out, acc_in, leaf_out, leaf_in, pod_out, pod_in;
    std::vector<std::uint8_t> mark_acc, mark_leaf, mark_pod;
    bool clean = true;  ///< false while a call runs: an exception leaves counts behind

    void ensure(std::size_t accs, std::size_t leaves, std::size_t pods) {
        if (!clean) {
            for (auto* v : {&acc_out, &acc_in, &leaf_out, &leaf_in, &pod_out, &pod_in}) std::fill(v->begin(), v->end(), 0.0);
            for (auto* v : {&mark_acc, &mark_leaf, &mark_pod}) std::fill(v->begin(), v->end(), std::uint8_t{0});
        }
        auto grow = [](auto& v, std::size_t n) {
            if (v.size() < n) v.resize(n);
        };
        grow(acc_out, accs);
        grow(acc_in, accs);
        grow(mark_acc, accs);
        grow(leaf_out, leaves);
        grow(leaf_in, leaves);
        grow(mark_leaf, leaves);
        grow(pod_out, pods);
        grow(pod_in, pods);
        grow(mark_pod, pods);
    }
};

FoldedScratch::FoldedScratch() : b_(std::make_unique<Buffers>()) {}
FoldedScratch::~FoldedScratch() = default;
FoldedScratch::FoldedScratch(FoldedScratch&&) noexcept = default;
FoldedScratch& FoldedScratch::operator=(FoldedScratch&&) noexcept = default;

namespace {

// ---------------------------------------------------------------------------------- Clos

class ClosAccumulator {
public:
    ClosAccumulator(const Fabric& f, int level, std::int64_t sub, FoldedScratch::Buffers& b)
        : lv_(f.levels()[static_cast<std::size_t>(level)]), c_(lv_.clos), sub_(sub), acc_out_(b.acc_out),
          acc_in_(b.acc_in), leaf_out_(b.leaf_out), leaf_in_(b.leaf_in), pod_out_(b.pod_out), pod_in_(b.pod_in),
          mark_acc_(b.mark_acc), mark_leaf_(b.mark_leaf), mark_pod_(b.mark_pod) {
        b.ensure(static_cast<std::size_t>(f.accelerators()), static_cast<std::size_t>(c_.leaves),
                 static_cast<std::size_t>(std::max<std::int64_t>(c_.pods, 1)));
    }

    void flow(std::int64_t x, std::int64_t y, double w) {
        touch_acc(x);
        touch_acc(y);
        acc_out_[u(x)] += w;
        acc_in_[u(y)] += w;
        const std::int64_t lx = c_.leaf_of[u(x)], ly = c_.leaf_of[u(y)];
        if (lx == ly) {
            raise_hops(2);
            return;
        }
        touch_leaf(lx);
        touch_leaf(ly);
        leaf_out_[u(lx)] += w;
        leaf_in_[u(ly)] += w;
        if (c_.tiers < 3) {
            raise_hops(4);
            return;
        }
        const std::int64_t px = c_.pod_of[u(lx)], py = c_.pod_of[u(ly)];
        if (px == py) {
            raise_hops(4);
            return;
        }
        touch_pod(px);
        touch_pod(py);
        pod_out_[u(px)] += w;
        pod_in_[u(py)] += w;
        raise_hops(6);
    }

    /// Every ordered pair of the bucket's members in different sub-instances, w each: counted from
    /// how many members share each leaf, pod and sub-instance (never pair by pair).
    void complete(const Member* b, std::size_t n, double w) {
        // Counts by sorting small key vectors: member i's sub-instance, leaf and pod, and the
        // (leaf, sub) and (pod, sub) pairs.
        keys_.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            const std::int64_t x = b[i].acc, l = c_.leaf_of[u(x)];
            keys_[i] = {sub_of(x), l, c_.tiers == 3 ? c_.pod_of[u(l)] : 0};
        }
        auto sorted = [&](auto key) {
            std::vector<std::pair<std::int64_t, std::int64_t>> v(n);
            for (std::size_t i = 0; i < n; ++i) v[i] = key(keys_[i]);
            std::sort(v.begin(), v.end());
            return v;
        };
        auto count = [](const std::vector<std::pair<std::int64_t, std::int64_t>>& v, std::pair<std::int64_t, std::int64_t> k) {
            const auto r = std::equal_range(v.begin(), v.end(), k);
            return static_cast<std::int64_t>(r.second - r.first);
        };
        const auto by_sub = sorted([](const Key& k) { return std::pair{k.sub, std::int64_t{0}}; });
        const auto by_leaf = sorted([](const Key& k) { return std::pair{k.leaf, std::int64_t{0}}; });
        const auto by_leaf_sub = sorted([](const Key& k) { return std::pair{k.leaf, k.sub}; });
        const auto by_pod = sorted([](const Key& k) { return std::pair{k.pod, std::int64_t{0}}; });
        const auto by_pod_sub = sorted([](const Key& k) { return std::pair{k.pod, k.sub}; });
        const auto c = static_cast<std::int64_t>(n);
        bool any = false, off_leaf = false, off_pod = false;
        for (std::size_t i = 0; i < n; ++i) {
            const Key& k = keys_[i];
            const std::int64_t x = b[i].acc;
            const std::int64_t partners = c - count(by_sub, {k.sub, 0});
            if (partners == 0) continue;
            any = true;
            touch_acc(x);
            acc_out_[u(x)] += w * static_cast<double>(partners);
            acc_in_[u(x)] += w * static_cast<double>(partners);
            const std::int64_t leaf_far = partners - (count(by_leaf, {k.leaf, 0}) - count(by_leaf_sub, {k.leaf, k.sub}));
            if (leaf_far == 0) continue;
            off_leaf = true;
            touch_leaf(k.leaf);
            leaf_out_[u(k.leaf)] += w * static_cast<double>(leaf_far);
            leaf_in_[u(k.leaf)] += w * static_cast<double>(leaf_far);
            if (c_.tiers < 3) continue;
            const std::int64_t pod_far = partners - (count(by_pod, {k.pod, 0}) - count(by_pod_sub, {k.pod, k.sub}));
            if (pod_far == 0) continue;
            off_pod = true;
            touch_pod(k.pod);
            pod_out_[u(k.pod)] += w * static_cast<double>(pod_far);
            pod_in_[u(k.pod)] += w * static_cast<double>(pod_far);
        }
        if (off_pod) raise_hops(6);
        else if (off_leaf) raise_hops(4);
        else if (any) raise_hops(2);
    }

    /// The bucket's members reduce through the switches: `up` into and `down` out of every member's
    /// links; every leaf (pod) holding members sends `up` and receives `down` over its up-links when
    /// the bucket spans several leaves (pods).
    void in_network(const Member* b, std::size_t n, double up, double down) {
        std::vector<std::int64_t> leaves, pods;
        for (std::size_t i = 0; i < n; ++i) {
            const std::int64_t x = b[i].acc;
            touch_acc(x);
            acc_out_[u(x)] += up;
            acc_in_[u(x)] += down;
            leaves.push_back(c_.leaf_of[u(x)]);
        }
        std::sort(leaves.begin(), leaves.end());
        leaves.erase(std::unique(leaves.begin(), leaves.end()), leaves.end());
        int top = 1;
        if (leaves.size() > 1) {
            top = 2;
            for (const auto l : leaves) {
                touch_leaf(l);
                leaf_out_[u(l)] += up;
                leaf_in_[u(l)] += down;
                if (c_.tiers == 3) pods.push_back(c_.pod_of[u(l)]);
            }
            std::sort(pods.begin(), pods.end());
            pods.erase(std::unique(pods.begin(), pods.end()), pods.end());
            if (pods.size() > 1) {
                top = 3;
                for (const auto q : pods) {
                    touch_pod(q);
                    pod_out_[u(q)] += up;
                    pod_in_[u(q)] += down;
                }
            }
        }
        raise_hops(2 * top);
    }

    void end_instance(StageLoads& s) {
        const double planes = static_cast<double>(lv_.planes);
        double m_acc = 0, m_up1 = 0, m_up2 = 0;
        for (const auto x : touched_acc_) {
            m_acc = std::max({m_acc, acc_out_[u(x)], acc_in_[u(x)]});
            acc_out_[u(x)] = acc_in_[u(x)] = 0;
            mark_acc_[u(x)] = 0;
        }
        for (const auto l : touched_leaf_) {
            m_up1 = std::max({m_up1, leaf_out_[u(l)], leaf_in_[u(l)]});
            leaf_out_[u(l)] = leaf_in_[u(l)] = 0;
            mark_leaf_[u(l)] = 0;
        }
        for (const auto q : touched_pod_) {
            m_up2 = std::max({m_up2, pod_out_[u(q)], pod_in_[u(q)]});
            pod_out_[u(q)] = pod_in_[u(q)] = 0;
            mark_pod_[u(q)] = 0;
        }
        touched_acc_.clear();
        touched_leaf_.clear();
        touched_pod_.clear();
        for (std::int64_t p = 0; p < lv_.planes; ++p) {
            const auto plane = static_cast<std::size_t>(p);
            raise(s.class_max[c_.class_down + plane], m_acc / (static_cast<double>(c_.h) * planes));
            if (c_.tiers >= 2 && m_up1 > 0)
                raise(s.class_max[c_.class_up1 + plane], m_up1 / (static_cast<double>(c_.u1) * planes));
            if (c_.tiers == 3 && m_up2 > 0)
                raise(s.class_max[c_.class_up2 + plane], m_up2 / (static_cast<double>(c_.u1 * c_.u2) * planes));
        }
    }

    [[nodiscard]] std::int64_t hops() const { return hops_; }

private:
    static std::size_t u(std::int64_t v) { return static_cast<std::size_t>(v); }
    [[nodiscard]] std::int64_t sub_of(std::int64_t x) const { return sub_ > 0 ? x / sub_ : x; }
    void raise_hops(std::int64_t h) { hops_ = std::max(hops_, h); }
    void touch_acc(std::int64_t x) {
        if (!mark_acc_[u(x)]) {
            mark_acc_[u(x)] = 1;
            touched_acc_.push_back(x);
        }
    }
    void touch_leaf(std::int64_t l) {
        if (!mark_leaf_[u(l)]) {
            mark_leaf_[u(l)] = 1;
            touched_leaf_.push_back(l);
        }
    }
    void touch_pod(std::int64_t q) {
        if (!mark_pod_[u(q)]) {
            mark_pod_[u(q)] = 1;
            touched_pod_.push_back(q);
        }
    }

    const LevelView& lv_;
    const ClosLevel& c_;
    std::int64_t sub_;
    std::vector<double>&acc_out_, &acc_in_, &leaf_out_, &leaf_in_, &pod_out_, &pod_in_;
    std::vector<std::uint8_t>&mark_acc_, &mark_leaf_, &mark_pod_;
    std::vector<std::int64_t> touched_acc_, touched_leaf_, touched_pod_;
    struct Key {
        std::int64_t sub = 0, leaf = 0, pod = 0;
    };
    std::vector<Key> keys_;
    std::int64_t hops_ = 0;
};

// ------------------------------------------------------------------------- mesh and torus

/// Loads of one instance of a full mesh (per directed link: node, dimension, target coordinate)
/// or a torus (node, dimension, direction).
class GridAccumulator {
public:
    GridAccumulator(const Fabric& f, int level, MeshRouting routing)
        : f_(f), level_(level), lv_(f.levels()[static_cast<std::size_t>(level)]), g_(lv_.grid), routing_(routing), torus_(lv_.kind == LevelKind::torus) {
        std::int64_t width = 0;
        for (const auto k : g_.dims) {
            offset_.push_back(width);
            width += torus_ ? 2 : k;
        }
        width_ = width;
        const double entries = static_cast<double>(lv_.group_size) * static_cast<double>(width);
        if (entries > static_cast<double>(std::int64_t{1} << 27))
            throw CommError("folded loads: level '" + lv_.name + "' has " + std::to_string(lv_.group_size) +
                            " accelerators per instance, too many for per-link mesh loads");
        load_.assign(static_cast<std::size_t>(lv_.group_size * width), 0.0);
        short_max_.assign(f.class_count(), 0.0);
        path_max_.assign(f.class_count(), 0.0);
        for (std::size_t i = 0; i <= g_.dims.size(); ++i) fact_.push_back(i == 0 ? 1.0 : fact_.back() * static_cast<double>(i));
    }

    void begin(std::int64_t instance) { base_ = instance * lv_.group_size; }

    void flow(std::int64_t x, std::int64_t y, double w) {
        used_ = true;
        const std::int64_t xl = x - base_, yl = y - base_;
        if (torus_) {
            torus_flow(xl, yl, w);
            return;
        }
        std::array<std::size_t, 16> differ{};
        std::size_t m = 0;
        for (std::size_t d = 0; d < g_.dims.size(); ++d)
            if (coord(xl, d) != coord(yl, d)) differ[m++] = d;
        if (m == 0) return;
        hops_ = std::max(hops_, static_cast<std::int64_t>(m));
        if (m == 1) {
            add(xl, differ[0], coord(yl, differ[0]), w);
            return;
        }
        // Shortest paths: every order of the differing dimensions equally likely. The hop that fixes
        // dimension d after the set S is used by |S|! (m - |S| - 1)! of the m! orders.
        for (std::uint32_t mask = 0; mask < (1U << m); ++mask) {
            std::int64_t node = xl;
            std::size_t size = 0;
            for (std::size_t i = 0; i < m; ++i)
                if (mask & (1U << i)) {
                    node += (coord(yl, differ[i]) - coord(xl, differ[i])) * g_.strides[differ[i]];
                    ++size;
                }
            if (size == m) continue;
            const double share = w * fact_[size] * fact_[m - size - 1] / fact_[m];
            for (std::size_t i = 0; i < m; ++i)
                if (!(mask & (1U << i))) add(node, differ[i], coord(yl, differ[i]), share);
        }
    }

    void end_instance() {
        if (!used_) return;  // no flow in this instance: nothing to read or clear
        used_ = false;
        const std::size_t dims = g_.dims.size();
        const std::int64_t n = lv_.group_size;
        for (std::int64_t x = 0; x < n; ++x)
            for (std::size_t d = 0; d < dims; ++d) {
                const auto cls = g_.dim_class[d];
                const std::int64_t k = g_.dims[d];
                for (std::int64_t c = 0; c < (torus_ ? 2 : k); ++c)
                    raise(short_max_[cls], load_[idx(x, d, c)]);
            }
        if (!torus_ && routing_ != MeshRouting::shortest) all_path_max();
        std::fill(load_.begin(), load_.end(), 0.0);
    }

    void end_level(StageLoads& s) {
        MeshRouting used = MeshRouting::shortest;
        if (!torus_) {
            used = routing_;
            if (routing_ == MeshRouting::adaptive) used = time_of(path_max_) < time_of(short_max_) ? MeshRouting::all_path : MeshRouting::shortest;
            s.mesh_routing[static_cast<std::size_t>(level_)] = used;
        }
        const auto& chosen = used == MeshRouting::all_path ? path_max_ : short_max_;
        for (const auto c : lv_.classes) raise(s.class_max[c], chosen[c]);
    }

    [[nodiscard]] std::int64_t hops() const { return hops_; }

private:
    [[nodiscard]] std::int64_t coord(std::int64_t v, std::size_t d) const { return v / g_.strides[d] % g_.dims[d]; }
    [[nodiscard]] std::size_t idx(std::int64_t v, std::size_t d, std::int64_t c) const {
        return static_cast<std::size_t>(v * width_ + offset_[d] + c);
    }
    void add(std::int64_t v, std::size_t d, std::int64_t c, double w) { load_[idx(v, d, c)] += w; }

    [[nodiscard]] double time_of(const std::vector<double>& m) const {
        double t = 0;
        for (const auto c : lv_.classes) t = std::max(t, m[c] / f_.effective_Bps(c));
        return t;
    }

    void torus_flow(std::int64_t cur, std::int64_t yl, double w) {
        const std::int64_t hops =
            detail::dimension_order(g_, cur, yl, w, [&](std::int64_t from, std::int64_t, std::size_t d, std::int64_t dir, double a) {
                add(from, d, dir > 0 || g_.dims[d] == 2 ? 0 : 1, a);
            });
        hops_ = std::max(hops_, hops);
    }

    /// All-path loads from the shortest-path (direct) loads f of each line: the link x -> z of
    /// dimension d carries (out_d(x) + in_d(z) - f(x -> z)) / (k - 1): its direct share, the first
    /// hops of x's detours through z and the second hops of detours into z through x.
    void all_path_max() {
        const std::size_t dims = g_.dims.size();
        const std::int64_t n = lv_.group_size;
        out_.assign(static_cast<std::size_t>(n) * dims, 0.0);
        in_.assign(static_cast<std::size_t>(n) * dims, 0.0);
        for (std::int64_t x = 0; x < n; ++x)
            for (std::size_t d = 0; d < dims; ++d) {
                const std::int64_t k = g_.dims[d], cx = coord(x, d);
                for (std::int64_t c = 0; c < k; ++c) {
                    const double f = load_[idx(x, d, c)];
                    if (f == 0) continue;
                    out_[static_cast<std::size_t>(x) * dims + d] += f;
                    const std::int64_t z = x + (c - cx) * g_.strides[d];
                    in_[static_cast<std::size_t>(z) * dims + d] += f;
                }
            }
        for (std::int64_t x = 0; x < n; ++x)
            for (std::size_t d = 0; d < dims; ++d) {
                const std::int64_t k = g_.dims[d], cx = coord(x, d);
                const auto cls = g_.dim_class[d];
                for (std::int64_t c = 0; c < k; ++c) {
                    if (c == cx) continue;
                    const double direct = load_[idx(x, d, c)];
                    if (k == 2) {
                        raise(path_max_[cls], direct);
                        continue;
                    }
                    const std::int64_t z = x + (c - cx) * g_.strides[d];
                    const double v = (out_[static_cast<std::size_t>(x) * dims + d] +
                                      in_[static_cast<std::size_t>(z) * dims + d] - direct) /
                                     static_cast<double>(k - 1);
                    raise(path_max_[cls], v);
                }
            }
    }

    const Fabric& f_;
    int level_;
    const LevelView& lv_;
    const GridLevel& g_;
    MeshRouting routing_;
    bool torus_;
    std::vector<std::int64_t> offset_;
    std::int64_t width_ = 0;
    std::int64_t base_ = 0;
    std::vector<double> load_, short_max_, path_max_, out_, in_, fact_;
    std::int64_t hops_ = 0;
    bool used_ = false;
};

// ------------------------------------------------------------------- any graph (dragonfly)

class GraphAccumulator {
public:
    GraphAccumulator(const Fabric& f, int level)
        : f_(f), level_(level), router_(f), load_(f.topology().directed_link_count(), 0.0) {}

    void flow(std::int64_t x, std::int64_t y, double w) { flows_.push_back({y, x, w}); }

    void end_instance(StageLoads& s) {
        std::sort(flows_.begin(), flows_.end(), [](const F& a, const F& b) {
            return a.dst != b.dst ? a.dst < b.dst : a.src < b.src;
        });
        const auto& t = f_.topology();
        for (const auto& fl : flows_) {
            router_.target(static_cast<NodeId>(fl.dst), level_);
            hops_ = std::max<std::int64_t>(hops_, router_.hops(static_cast<NodeId>(fl.src)));
            router_.ecmp(static_cast<NodeId>(fl.src), fl.w, [&](topo::LinkId l, double a) {
                if (load_[l] == 0) touched_.push_back(l);
                load_[l] += a;
            });
        }
        for (const auto l : touched_) {
            raise(s.class_max[t.link_class_index(l)], load_[l]);
            load_[l] = 0;
        }
        touched_.clear();
        flows_.clear();
    }

    [[nodiscard]] std::int64_t hops() const { return hops_; }

private:
    struct F {
        std::int64_t dst, src;
        double w;
    };
    const Fabric& f_;
    int level_;
    detail::GraphRouter router_;
    std::vector<double> load_;
    std::vector<topo::LinkId> touched_;
    std::vector<F> flows_;
    std::int64_t hops_ = 0;
};

// ------------------------------------------------------------------------------ driver

/// Instances of `lv` to compute: every instance the placement touches, except that for a strided
/// placement instances lying inside its periodic region at the same phase (position modulo the
/// period p x stride) hold identical traffic, so only the first of each phase is kept.
std::vector<std::int64_t> representatives(const LevelView& lv, const Placement& pl) {
    std::vector<std::int64_t> out;
    const std::int64_t g = lv.group_size;
    const auto lo = static_cast<std::int64_t>(pl.first()), hi = static_cast<std::int64_t>(pl.extent());
    if (hi <= lo) return out;
    const std::int64_t i0 = lo / g, i1 = (hi - 1) / g;
    if (!pl.is_strided()) {
        for (std::int64_t i = i0; i <= i1; ++i) out.push_back(i);
        return out;
    }
    const std::int64_t period = pl.period();
    const std::int64_t region_lo = pl.offset(), region_hi = pl.offset() + pl.full_blocks() * period;
    std::unordered_set<std::int64_t> seen;
    for (std::int64_t i = i0; i <= i1; ++i) {
        const std::int64_t s = i * g, e = s + g;
        if (s >= region_lo && e <= region_hi && !seen.insert((s - region_lo) % period).second) continue;
        out.push_back(i);
    }
    return out;
}

std::int64_t line_key(const Lines& l, std::int64_t r) { return r - l.position(r) * l.stride(); }

void members_of(const Placement& pl, std::int64_t instance, std::int64_t g, const Lines* lines,
                std::vector<Member>& out) {
    out.clear();
    const auto lo = std::max<std::int64_t>(instance * g, static_cast<std::int64_t>(pl.first()));
    const auto hi = std::min<std::int64_t>((instance + 1) * g, static_cast<std::int64_t>(pl.extent()));
    for (std::int64_t x = lo; x < hi; ++x) {
        const auto s = pl.slot(static_cast<NodeId>(x));
        if (!s) continue;
        const std::int64_t line = lines ? line_key(*lines, s->rank) : 0;
        out.push_back({x, s->group, s->rank, line, s->group * pl.group_size() + line});
    }
}

/// Members of one line of one group together, each line's members in accelerator order.
void sort_buckets(std::vector<Member>& m) {
    std::sort(m.begin(), m.end(),
              [](const Member& a, const Member& b) { return a.bucket != b.bucket ? a.bucket < b.bucket : a.acc < b.acc; });
}

const Lines* lines_of(const Pattern& p) {
    if (const auto* c = std::get_if<CompleteFlows>(&p)) return &c->lines;
    if (const auto* n = std::get_if<InNetworkFlows>(&p)) return &n->lines;
    return nullptr;
}

}  // namespace

StageLoads folded_loads(const Fabric& f, const Placement& pl, const Pattern& pattern, const LoadOptions& o) {
    FoldedScratch scratch;
    return folded_loads(f, pl, pattern, o, scratch);
}

StageLoads folded_loads(const Fabric& f, const Placement& pl, const Pattern& pattern, const LoadOptions& o,
                        FoldedScratch& scratch) {
    pl.validate(static_cast<std::uint64_t>(f.accelerators()));
    if (pattern_ranks(pattern) != pl.group_size())
        throw CommError("pattern over " + std::to_string(pattern_ranks(pattern)) + " ranks for groups of " +
                        std::to_string(pl.group_size()));
    const auto& levels = f.levels();
    StageLoads s;
    s.class_max.assign(f.class_count(), 0.0);
    s.level_hops.assign(levels.size(), 0);
    s.mesh_routing.assign(levels.size(), MeshRouting::shortest);
    s.in_network = std::holds_alternative<InNetworkFlows>(pattern);
    const Lines* lines = lines_of(pattern);
    auto& buffers = scratch.buffers();
    auto& members = buffers.members;

    for (std::size_t li = 0; li < levels.size(); ++li) {
        const auto& lv = levels[li];
        const int level = static_cast<int>(li);
        const std::int64_t g = lv.group_size;
        const std::int64_t sub = li > 0 ? levels[li - 1].group_size : 0;
        auto same_sub = [sub](std::int64_t a, std::int64_t b) { return sub > 0 ? a / sub == b / sub : a == b; };

        auto run = [&](auto& acc, auto&& end_instance) {
            for (const std::int64_t inst : representatives(lv, pl)) {
                members_of(pl, inst, g, lines, members);
                if (members.size() < 2) continue;
                if constexpr (requires { acc.begin(inst); }) acc.begin(inst);
                std::visit(
                    overloaded{
                        [&](const CompleteFlows&) {
                            sort_buckets(members);
                            std::size_t i = 0;
                            while (i < members.size()) {
                                std::size_t j = i + 1;
                                while (j < members.size() && members[j].bucket == members[i].bucket) ++j;
                                // Members are in accelerator order: one sub-instance iff the ends share it.
                                if (j - i >= 2 && !same_sub(members[i].acc, members[j - 1].acc)) {
                                    s.flows += j - i;
                                    if constexpr (requires { acc.complete(members.data(), std::size_t{}, 1.0); }) {
                                        acc.complete(members.data() + i, j - i, 1.0);
                                    } else {
                                        for (std::size_t a = i; a < j; ++a)
                                            for (std::size_t b = i; b < j; ++b)
                                                if (a != b && !same_sub(members[a].acc, members[b].acc))
                                                    acc.flow(members[a].acc, members[b].acc, 1.0);
                                    }
                                }
                                i = j;
                            }
                        },
                        [&](const InNetworkFlows& n) {
                            sort_buckets(members);
                            const std::int64_t q = n.lines.length();
                            std::size_t i = 0;
                            while (i < members.size()) {
                                std::size_t j = i + 1;
                                while (j < members.size() && members[j].bucket == members[i].bucket) ++j;
                                // A whole line inside this instance and not inside one lower instance.
                                if (static_cast<std::int64_t>(j - i) == q && q >= 2 &&
                                    !same_sub(members[i].acc, members[j - 1].acc)) {
                                    s.flows += j - i;
                                    if constexpr (requires { acc.in_network(members.data(), std::size_t{}, 1.0, 1.0); }) {
                                        acc.in_network(members.data() + i, j - i, n.up, n.down);
                                    } else {
                                        throw CommError("in-network reduction needs a switched (Clos) level; level '" +
                                                        lv.name + "' is not one");
                                    }
                                }
                                i = j;
                            }
                        },
                        [&](const auto& sparse) {
                            for (const auto& m : members) {
                                for_each_out(sparse, m.rank, [&](std::int64_t r2, double w) {
                                    const auto y = static_cast<std::int64_t>(pl.accelerator(m.group, r2));
                                    if (y / g != inst || same_sub(m.acc, y)) return;
                                    acc.flow(m.acc, y, w);
                                    ++s.flows;
                                });
                            }
                        },
                    },
                    pattern);
                end_instance();
            }
        };

        if (lv.kind == LevelKind::clos) {
            ClosAccumulator acc(f, level, sub, buffers);
            buffers.clean = false;
            run(acc, [&] { acc.end_instance(s); });
            s.level_hops[li] = acc.hops();
        } else if (lv.kind == LevelKind::full_mesh || lv.kind == LevelKind::torus) {
            GridAccumulator acc(f, level, o.mesh_routing);
            run(acc, [&] { acc.end_instance(); });
            acc.end_level(s);
            s.level_hops[li] = acc.hops();
        } else {
            GraphAccumulator acc(f, level);
            run(acc, [&] { acc.end_instance(s); });
            s.level_hops[li] = acc.hops();
        }
    }
    buffers.clean = true;
    detail::finish(f, s);
    return s;
}

}  // namespace clustersim::comm
