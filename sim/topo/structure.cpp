#include "topo/structure.hpp"

#include <algorithm>
#include <limits>
#include <cmath>
#include <deque>
#include <type_traits>

namespace clustersim::topo::detail {

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
double dbl(std::int64_t v) { return static_cast<double>(v); }

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

std::int64_t mesh_size(const FullMeshNetwork& m) {
    std::int64_t n = 1;
    for (const auto& d : m.dims) n *= d.size;
    return n;
}
std::int64_t torus_size(const TorusNetwork& t) {
    std::int64_t n = 1;
    for (const auto k : t.dims) n *= k;
    return n;
}

/// Number of leading dimensions whose product is `subgroup` (validated to exist).
std::size_t prefix_dims(const std::vector<std::int64_t>& sizes, std::int64_t subgroup) {
    std::int64_t prod = 1;
    std::size_t j = 0;
    while (prod < subgroup && j < sizes.size()) prod *= sizes[j++];
    return j;
}

std::vector<std::int64_t> sizes_of(const FullMeshNetwork& m) {
    std::vector<std::int64_t> s;
    for (const auto& d : m.dims) s.push_back(d.size);
    return s;
}

/// Links along one dimension (stride s, size k) cut between [0, a) and [a, n), as a sum over
/// lines along that dimension; `cut(x)` gives the cut of one line holding x of its k members in [0, a).
template <class Cut>
double line_cut(std::int64_t a, std::int64_t stride, std::int64_t k, Cut cut) {
    const std::int64_t block = stride * k;
    const std::int64_t rem = a % block;
    const std::int64_t c = rem / stride;
    const std::int64_t low = rem % stride;
    return dbl(low) * cut(c + 1) + dbl(stride - low) * cut(c);
}

/// Orders of the dimensions, least significant first, whose prefix splits are candidate cuts:
/// every permutation up to 7 dimensions (5,040), beyond that each dimension once as the most
/// significant (the others in their own order).
std::vector<std::vector<std::size_t>> dimension_orders(std::size_t n) {
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    std::vector<std::vector<std::size_t>> out;
    if (n <= 7) {
        do out.push_back(order);
        while (std::next_permutation(order.begin(), order.end()));
        return out;
    }
    for (std::size_t top = 0; top < n; ++top) {
        std::vector<std::size_t> o;
        for (std::size_t i = 0; i < n; ++i)
            if (i != top) o.push_back(i);
        o.push_back(top);
        out.push_back(std::move(o));
    }
    return out;
}

/// Max-flow (Dinic) on a small directed graph with real capacities; used where a split's flow
/// runs through switches whose side is free (a dragonfly's routers).
class MaxFlow {
public:
    explicit MaxFlow(std::size_t nodes) : first_(nodes, -1), level_(nodes), next_arc_(nodes) {}

    /// A full-duplex link: capacity `uv` from u to v and `vu` from v to u.
    void add(std::size_t u, std::size_t v, double uv, double vu) {
        arcs_.push_back({v, uv, first_[u]});
        first_[u] = static_cast<std::int64_t>(arcs_.size() - 1);
        arcs_.push_back({u, vu, first_[v]});
        first_[v] = static_cast<std::int64_t>(arcs_.size() - 1);
        eps_ = std::max(eps_, 1e-12 * std::max(uv, vu));
    }

    double run(std::size_t s, std::size_t t) {
        double flow = 0;
        while (levels(s, t)) {
            for (std::size_t v = 0; v < first_.size(); ++v) next_arc_[v] = first_[v];
            while (true) {
                const double f = push(s, t, std::numeric_limits<double>::infinity());
                if (f <= eps_) break;
                flow += f;
            }
        }
        return flow;
    }

private:
    struct Arc {
        std::size_t to;
        double cap;
        std::int64_t next;
    };

    bool levels(std::size_t s, std::size_t t) {
        std::fill(level_.begin(), level_.end(), -1);
        std::deque<std::size_t> queue{s};
        level_[s] = 0;
        while (!queue.empty()) {
            const std::size_t v = queue.front();
            queue.pop_front();
            for (auto e = first_[v]; e >= 0; e = arcs_[static_cast<std::size_t>(e)].next) {
                const Arc& a = arcs_[static_cast<std::size_t>(e)];
                if (a.cap <= eps_ || level_[a.to] >= 0) continue;
                level_[a.to] = level_[v] + 1;
                queue.push_back(a.to);
            }
        }
        return level_[t] >= 0;
    }

    double push(std::size_t v, std::size_t t, double limit) {
        if (v == t) return limit;
        for (auto& e = next_arc_[v]; e >= 0; e = arcs_[static_cast<std::size_t>(e)].next) {
            Arc& a = arcs_[static_cast<std::size_t>(e)];
            if (a.cap <= eps_ || level_[a.to] != level_[v] + 1) continue;
            const double f = push(a.to, t, std::min(limit, a.cap));
            if (f > eps_) {
                a.cap -= f;
                arcs_[static_cast<std::size_t>(e ^ 1)].cap += f;
                return f;
            }
        }
        return 0;
    }

    std::vector<Arc> arcs_;
    std::vector<std::int64_t> first_;
    std::vector<std::int64_t> level_;
    std::vector<std::int64_t> next_arc_;
    double eps_ = 0;
};

// ------------------------------------------------------------------------------------ Clos

PairStats clos_pairs(const ClosNetwork& n, std::int64_t group, std::int64_t subgroup) {
    const ClosShape s = clos_shape(n, group);
    const double all = choose2(group) - pairs_in_blocks(group, subgroup);
    double leaf = 0;
    if (s.rails > 1) {
        const std::int64_t servers = group / s.rails;
        const double same = dbl(s.rails) * pairs_in_blocks(servers, s.per_leaf);
        const double same_sub =
            subgroup > 1 ? dbl(s.rails) * pairs_in_common(servers, s.per_leaf, subgroup / s.rails) : 0.0;
        leaf = same - same_sub;
    } else {
        leaf = pairs_in_blocks(group, s.per_leaf) - pairs_in_common(group, s.per_leaf, subgroup);
    }
    PairStats st;
    st.pairs = all;
    if (s.tiers == 1) {
        st.hop_sum = 2.0 * all;
        st.max_hops = all > 0 ? 2 : 0;
        return st;
    }
    if (s.tiers == 2) {
        st.hop_sum = 2.0 * leaf + 4.0 * (all - leaf);
        st.max_hops = all - leaf > 0 ? 4 : (leaf > 0 ? 2 : 0);
        return st;
    }
    const std::int64_t pod = s.per_leaf * s.d2;  // accelerators per full pod
    const double same_pod = pairs_in_blocks(group, pod) - pairs_in_common(group, pod, subgroup);
    st.hop_sum = 2.0 * leaf + 4.0 * (same_pod - leaf) + 6.0 * (all - same_pod);
    st.max_hops = all - same_pod > 0 ? 6 : (same_pod - leaf > 0 ? 4 : (leaf > 0 ? 2 : 0));
    return st;
}

/// Max-flow from the accelerators counted by in_a(leaf) to the rest (2- and 3-tier up/down
/// spreading over identical switches; see docs/models/topology.md).
template <class InA>
double clos_flow(const ClosShape& s, std::int64_t planes, InA in_a_of) {
    const double h = dbl(s.h);
    const double up1 = dbl(s.u1) * s.b1;
    const double up2 = dbl(s.u1 * s.u2) * s.b2;
    double local = 0, sum_s = 0, sum_r = 0;     // whole group (2 tiers)
    double pod_x = 0, pod_out = 0, pod_in = 0;  // 3 tiers: exchanges inside pods, pod up / down
    double cur_s = 0, cur_r = 0;
    std::int64_t cur_pod = 0;
    auto close_pod = [&] {
        const double x = std::min(cur_s, cur_r);
        pod_x += x;
        pod_out += std::min(cur_s - x, up2);
        pod_in += std::min(cur_r - x, up2);
        cur_s = cur_r = 0;
    };
    for (std::int64_t l = 0; l < s.leaves; ++l) {
        const std::int64_t in_a = in_a_of(l);
        const std::int64_t in_b = s.leaf_members_below(l, s.group) - in_a;
        const double x = dbl(std::min(in_a, in_b)) * h * s.b0;
        local += x;
        if (s.tiers == 1) continue;
        const double out = std::min(dbl(in_a) * h * s.b0 - x, up1);
        const double in = std::min(dbl(in_b) * h * s.b0 - x, up1);
        sum_s += out;
        sum_r += in;
        if (s.tiers == 3) {
            const std::int64_t pod = l / s.leaves_per_pod;
            if (pod != cur_pod) {
                close_pod();
                cur_pod = pod;
            }
            cur_s += out;
            cur_r += in;
        }
    }
    double flow = local;
    if (s.tiers == 2) flow += std::min(sum_s, sum_r);
    if (s.tiers == 3) {
        close_pod();
        flow += pod_x + std::min(pod_out, pod_in);
    }
    return flow * dbl(planes);
}

double clos_prefix_flow(const ClosNetwork& n, std::int64_t group, std::int64_t a) {
    const ClosShape s = clos_shape(n, group);
    return clos_flow(s, n.planes, [&](std::int64_t l) { return s.leaf_members_below(l, a); });
}

/// The first `a` accelerators taking whole leaves in turn, in index order (server group, then
/// rail) or, when rail_major, rail by rail: for rail-optimised networks the split between rails.
double clos_leaf_order_flow(const ClosNetwork& n, std::int64_t group, std::int64_t a, bool rail_major) {
    const ClosShape s = clos_shape(n, group);
    const std::int64_t groups = s.leaves / s.rails;
    std::vector<std::int64_t> before(static_cast<std::size_t>(s.leaves), 0);
    std::int64_t taken = 0;
    for (std::int64_t k = 0; k < s.leaves; ++k) {
        const std::int64_t l = rail_major ? k % groups * s.rails + k / groups : k;
        before[static_cast<std::size_t>(l)] = taken;
        taken += s.leaf_members_below(l, group);
    }
    return clos_flow(s, n.planes, [&](std::int64_t l) {
        return std::clamp<std::int64_t>(a - before[static_cast<std::size_t>(l)], 0, s.leaf_members_below(l, group));
    });
}

double clos_bisection(const ClosNetwork& n, std::int64_t group) {
    // Without rails, leaf order is accelerator order.
    double best = -1;
    for (const std::int64_t a : {group / 2, group - group / 2}) {
        const double f = n.rails > 1
                             ? std::min({clos_prefix_flow(n, group, a), clos_leaf_order_flow(n, group, a, false),
                                         clos_leaf_order_flow(n, group, a, true)})
                             : clos_prefix_flow(n, group, a);
        if (best < 0 || f < best) best = f;
        if (group % 2 == 0) break;  // both halves are the same size
    }
    return best;
}

// ------------------------------------------------------------------------------ full mesh

PairStats mesh_pairs(const FullMeshNetwork& m, std::int64_t subgroup) {
    const std::int64_t g = mesh_size(m);
    const auto sizes = sizes_of(m);
    const std::size_t j = prefix_dims(sizes, subgroup);
    // Unordered pairs differing in coordinate i: n * (n / k_i) * (k_i - 1) / 2 (Hamming distance sums).
    auto hamming_sum = [&](std::int64_t n, std::size_t dims) {
        double sum = 0;
        for (std::size_t i = 0; i < dims; ++i) sum += 0.5 * dbl(n) * dbl(n / sizes[i]) * dbl(sizes[i] - 1);
        return sum;
    };
    PairStats st;
    st.pairs = choose2(g) - dbl(g / subgroup) * choose2(subgroup);
    st.hop_sum = hamming_sum(g, sizes.size()) - dbl(g / subgroup) * hamming_sum(subgroup, j);
    st.max_hops = st.pairs > 0 ? static_cast<std::int64_t>(sizes.size()) : 0;
    return st;
}

/// Max-flow between the first `a` accelerators of a dimension order (least significant first)
/// and the rest: the links each dimension's lines cut, plus the spares, each relaying
/// min(neighbours in A, neighbours in B) links' worth (its side is free).
double mesh_order_flow(const FullMeshNetwork& m, std::int64_t a, const std::vector<std::size_t>& order) {
    double flow = 0;
    std::int64_t stride = 1;
    for (const auto i : order) {
        const std::int64_t k = m.dims[i].size;
        flow +=
            m.dims[i].link.bandwidth.si() * line_cut(a, stride, k, [k](std::int64_t x) { return dbl(x) * dbl(k - x); });
        stride *= k;
    }
    if (m.spares_per_block == 0) return flow;
    // Canonical strides, and each dimension's stride in this order.
    std::vector<std::int64_t> canon(m.dims.size()), permuted(m.dims.size());
    std::int64_t c = 1;
    for (std::size_t i = 0; i < m.dims.size(); ++i) {
        canon[i] = c;
        c *= m.dims[i].size;
    }
    std::int64_t p = 1;
    for (const auto i : order) {
        permuted[i] = p;
        p *= m.dims[i].size;
    }
    const bool identity = std::is_sorted(order.begin(), order.end());
    auto in_a = [&](std::int64_t v) {
        if (identity) return v < a;
        std::int64_t rank = 0;
        for (std::size_t i = 0; i < m.dims.size(); ++i) rank += v / canon[i] % m.dims[i].size * permuted[i];
        return rank < a;
    };
    const std::int64_t k0 = m.dims.front().size;
    const std::int64_t g = mesh_size(m);
    for (std::int64_t start = 0; start < g; start += m.spare_block) {
        // In canonical order only the block holding the split point has spares on both sides.
        if (identity && (a <= start || a >= start + m.spare_block)) continue;
        for (std::int64_t sp = 0; sp < m.spares_per_block; ++sp) {
            std::int64_t na = 0, nb = 0;
            for (std::int64_t line = 0; line < m.spare_block / k0; ++line)
                (in_a(start + line * k0 + (line + sp) % k0) ? na : nb) += 1;
            flow += dbl(std::min(na, nb)) * m.spare_link.bandwidth.si();
        }
    }
    return flow;
}

double mesh_prefix_flow(const FullMeshNetwork& m, std::int64_t a) {
    std::vector<std::size_t> order(m.dims.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    return mesh_order_flow(m, a, order);
}

/// Cut across dimension i (k_i even): accelerators with coordinate i below k_i / 2 against the rest.
double mesh_dimension_cut(const FullMeshNetwork& m, std::size_t i) {
    const std::int64_t g = mesh_size(m);
    const std::int64_t k = m.dims[i].size;
    double flow = dbl(g / k) * dbl(k / 2) * dbl(k / 2) * m.dims[i].link.bandwidth.si();
    std::int64_t stride = 1;
    for (std::size_t j = 0; j < i; ++j) stride *= m.dims[j].size;
    if (m.spares_per_block > 0 && stride * k <= m.spare_block) {  // the cut runs through every spare block
        const std::int64_t k0 = m.dims.front().size;
        double per_block = 0;
        for (std::int64_t sp = 0; sp < m.spares_per_block; ++sp) {
            std::int64_t in_a = 0, in_b = 0;
            for (std::int64_t line = 0; line < m.spare_block / k0; ++line) {
                const std::int64_t v = line * k0 + (line + sp) % k0;
                (v / stride % k < k / 2 ? in_a : in_b) += 1;
            }
            per_block += dbl(std::min(in_a, in_b)) * m.spare_link.bandwidth.si();
        }
        flow += per_block * dbl(g / m.spare_block);
    }
    return flow;
}

/// The cheapest of the structured balanced cuts: across each even dimension, and the first
/// floor(N/2) (ceil(N/2)) accelerators of every dimension order, i.e. whole slabs of the most
/// significant dimension and, recursively, a staircase of the others. 1-D: the exact
/// floor(N/2) ceil(N/2) links. docs/models/topology.md says where this is exact.
std::optional<double> mesh_bisection(const FullMeshNetwork& m) {
    const std::int64_t g = mesh_size(m);
    if (m.dims.size() == 1 && m.spares_per_block == 0) return mesh_prefix_flow(m, g / 2);
    std::optional<double> best;
    auto take = [&best](double cut) {
        if (!best || cut < *best) best = cut;
    };
    for (std::size_t i = 0; i < m.dims.size(); ++i)
        if (m.dims[i].size % 2 == 0) take(mesh_dimension_cut(m, i));
    for (const auto& order : dimension_orders(m.dims.size())) {
        take(mesh_order_flow(m, g / 2, order));
        if (g % 2 != 0) take(mesh_order_flow(m, g - g / 2, order));
    }
    return best;
}

// ---------------------------------------------------------------------------------- torus

PairStats torus_pairs(const TorusNetwork& t, std::int64_t subgroup) {
    const std::int64_t g = torus_size(t);
    const std::size_t j = prefix_dims(t.dims, subgroup);
    // Sum over unordered pairs of ring distances along dimension i: n * (n / k) * floor(k^2 / 4) / 2.
    auto ring_sum = [&](std::int64_t n, std::size_t dims) {
        double sum = 0;
        for (std::size_t i = 0; i < dims; ++i) {
            const std::int64_t k = t.dims[i];
            sum += 0.5 * dbl(n) * dbl(n / k) * dbl(k * k / 4);
        }
        return sum;
    };
    PairStats st;
    st.pairs = choose2(g) - dbl(g / subgroup) * choose2(subgroup);
    st.hop_sum = ring_sum(g, t.dims.size()) - dbl(g / subgroup) * ring_sum(subgroup, j);
    std::int64_t diameter = 0;
    for (const auto k : t.dims) diameter += k / 2;
    st.max_hops = st.pairs > 0 ? diameter : 0;
    return st;
}

/// Links cut between the first `a` accelerators of a dimension order (least significant first)
/// and the rest: per dimension, the lines holding both sides cut 2 links (1 when k = 2).
double torus_order_flow(const TorusNetwork& t, std::int64_t a, const std::vector<std::size_t>& order) {
    double links = 0;
    std::int64_t stride = 1;
    for (const auto i : order) {
        const std::int64_t k = t.dims[i];
        links += line_cut(a, stride, k, [k](std::int64_t x) { return x == 0 || x == k ? 0.0 : (k >= 3 ? 2.0 : 1.0); });
        stride *= k;
    }
    return links * t.link.bandwidth.si();
}

double torus_prefix_flow(const TorusNetwork& t, std::int64_t a) {
    std::vector<std::size_t> order(t.dims.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    return torus_order_flow(t, a, order);
}

/// Largest dimension even: c * (N / k_max) links, exact (the k-ary n-cube's 2 k^(n-1)). Otherwise
/// the cheapest staircase: the first floor(N/2) (ceil(N/2)) accelerators of every dimension order
/// (whole slabs of the most significant dimension, the rest of one slab split the same way
/// recursively), which also holds the straight cuts across the even dimensions.
std::optional<double> torus_bisection(const TorusNetwork& t) {
    const std::int64_t n = torus_size(t);
    if (t.dims.size() == 1) return torus_prefix_flow(t, n / 2);
    const std::int64_t kmax = *std::max_element(t.dims.begin(), t.dims.end());
    if (kmax % 2 == 0) return dbl((kmax >= 3 ? 2 : 1) * (n / kmax)) * t.link.bandwidth.si();
    std::optional<double> best;
    for (const auto& order : dimension_orders(t.dims.size())) {
        for (const std::int64_t a : {n / 2, n - n / 2}) {
            const double cut = torus_order_flow(t, a, order);
            if (!best || cut < *best) best = cut;
        }
    }
    return best;
}

// ------------------------------------------------------------------------------ dragonfly

PairStats dragonfly_pairs(const DragonflyNetwork& d) {
    const std::int64_t a = d.routers_per_group, g = d.groups, p = d.terminals_per_router;
    const std::int64_t routers = a * g;
    // Router graph; the consecutive global wiring is invariant under rotating the groups, so
    // breadth-first searches from the routers of group 0 give every router pair's distance.
    std::vector<std::vector<std::int64_t>> adj(static_cast<std::size_t>(routers));
    for (std::int64_t grp = 0; grp < g; ++grp) {
        for (std::int64_t r = 0; r < a; ++r) {
            auto& out = adj[static_cast<std::size_t>(grp * a + r)];
            for (std::int64_t r2 = 0; r2 < a; ++r2)
                if (r2 != r) out.push_back(grp * a + r2);
            for (std::int64_t port = 0; port < d.global_links_per_router; ++port) {
                const GlobalEnd e = dragonfly_global_end(d, grp, r, port);
                out.push_back(e.group * a + e.router);
            }
        }
    }
    double dist_sum = 0;  // ordered router pairs from group 0
    std::int64_t max_dist = 0;
    std::vector<std::int64_t> dist(static_cast<std::size_t>(routers));
    std::deque<std::int64_t> queue;
    for (std::int64_t src = 0; src < a; ++src) {
        std::fill(dist.begin(), dist.end(), -1);
        dist[static_cast<std::size_t>(src)] = 0;
        queue.assign(1, src);
        while (!queue.empty()) {
            const std::int64_t v = queue.front();
            queue.pop_front();
            for (const auto w : adj[static_cast<std::size_t>(v)]) {
                if (dist[static_cast<std::size_t>(w)] >= 0) continue;
                dist[static_cast<std::size_t>(w)] = dist[static_cast<std::size_t>(v)] + 1;
                queue.push_back(w);
            }
        }
        for (const auto x : dist) {
            dist_sum += dbl(x);
            max_dist = std::max(max_dist, x);
        }
    }
    PairStats st;
    const std::int64_t n = p * routers;
    st.pairs = choose2(n);
    // Same router: 2 hops (terminal, terminal); different routers: router distance + 2.
    st.hop_sum = 2.0 * dbl(routers) * choose2(p) + dbl(p * p) * (0.5 * dbl(g) * dist_sum + 2.0 * choose2(routers));
    st.max_hops = routers > 1 ? max_dist + 2 : (p > 1 ? 2 : 0);
    return st;
}

/// Max-flow from the first `a` accelerators to the rest, exactly, on the router graph: a source
/// feeding each router its A terminals' links, a sink fed by its B terminals' links, every local
/// and global link full duplex (accelerators have one link each, so they relay nothing).
double dragonfly_split_flow(const DragonflyNetwork& d, std::int64_t a) {
    const std::int64_t p = d.terminals_per_router, ra = d.routers_per_group, g = d.groups;
    const std::int64_t routers = ra * g;
    const auto source = static_cast<std::size_t>(routers), sink = source + 1;
    MaxFlow f(static_cast<std::size_t>(routers) + 2);
    const double bt = d.terminal_link.bandwidth.si(), bl = d.local_link.bandwidth.si(),
                 bg = d.global_link.bandwidth.si();
    for (std::int64_t r = 0; r < routers; ++r) {
        const std::int64_t in_a = std::clamp<std::int64_t>(a - r * p, 0, p);
        const auto v = static_cast<std::size_t>(r);
        if (in_a > 0) f.add(source, v, dbl(in_a) * bt, 0.0);
        if (p - in_a > 0) f.add(v, sink, dbl(p - in_a) * bt, 0.0);
    }
    for (std::int64_t grp = 0; grp < g; ++grp)
        for (std::int64_t r = 0; r < ra; ++r) {
            const auto u = static_cast<std::size_t>(grp * ra + r);
            for (std::int64_t r2 = r + 1; r2 < ra; ++r2) f.add(u, static_cast<std::size_t>(grp * ra + r2), bl, bl);
            for (std::int64_t port = 0; port < d.global_links_per_router; ++port) {
                const GlobalEnd e = dragonfly_global_end(d, grp, r, port);
                if (grp < e.group) f.add(u, static_cast<std::size_t>(e.group * ra + e.router), bg, bg);
            }
        }
    return f.run(source, sink);
}

/// Max-flow from the first `a` accelerators to the rest: exact, on the router graph (a closed
/// form for whole groups, min(global links, terminal links), misses cuts through thin local links).
double dragonfly_prefix_flow(const DragonflyNetwork& d, std::int64_t a) { return dragonfly_split_flow(d, a); }

/// The cheapest of three families of balanced cuts, each a set R of routers on side A (every
/// terminal on its router's side where the balance allows; the terminals that must change side
/// cost one terminal link each): (i) k whole groups, k = 0..g (k = 0: the terminal links of half
/// the accelerators); (ii) k whole groups and the x routers of one more group (group k or g - 1)
/// with the most global links into them; (iii) the same window of x consecutive router indices in
/// every group. An upper bound on the worst cut; docs/models/topology.md says where it is exact.
double dragonfly_bisection(const DragonflyNetwork& d) {
    const std::int64_t p = d.terminals_per_router, a = d.routers_per_group, g = d.groups,
                       h = d.global_links_per_router;
    const std::int64_t n = p * a * g;
    const std::int64_t m = a * h / (g - 1);  // global links between each pair of groups
    const double bt = d.terminal_link.bandwidth.si(), bl = d.local_link.bandwidth.si(),
                 bg = d.global_link.bandwidth.si();
    // Terminals that must leave their router's side when R holds r routers.
    auto terminals = [&](std::int64_t r) {
        const std::int64_t t = p * r, lo = n / 2, hi = n - n / 2;
        return bt * dbl(t < lo ? lo - t : (t > hi ? t - hi : 0));
    };
    // The wiring is invariant under rotating the groups: global port (r, port) of every group leads
    // offset groups further on, to the same far router.
    std::vector<std::int64_t> offset(static_cast<std::size_t>(a * h)), far(static_cast<std::size_t>(a * h));
    for (std::int64_t r = 0; r < a; ++r)
        for (std::int64_t port = 0; port < h; ++port) {
            const GlobalEnd e = dragonfly_global_end(d, 0, r, port);
            offset[static_cast<std::size_t>(r * h + port)] = e.group;
            far[static_cast<std::size_t>(r * h + port)] = e.router;
        }
    double best = std::numeric_limits<double>::infinity();
    std::vector<double> delta(static_cast<std::size_t>(a));
    for (std::int64_t k = 0; k <= g; ++k) {
        const double whole = dbl(k * (g - k) * m) * bg;  // global links between the k groups and the rest
        best = std::min(best, whole + terminals(k * a));
        if (k == g) continue;
        for (const std::int64_t part : {k, g - 1}) {
            if (part == g - 1 && part == k) continue;
            // Moving router r of the partial group to A changes the cut by (to B - to A) global links;
            // its port leads into groups 0..k-1 when (part + offset) mod g < k.
            for (std::int64_t r = 0; r < a; ++r) {
                std::int64_t to_a = 0;
                for (std::int64_t port = 0; port < h; ++port)
                    to_a += (part + offset[static_cast<std::size_t>(r * h + port)]) % g < k;
                delta[static_cast<std::size_t>(r)] = dbl(h - 2 * to_a) * bg;
            }
            std::sort(delta.begin(), delta.end());
            double moved = 0;
            for (std::int64_t x = 1; x < a; ++x) {
                moved += delta[static_cast<std::size_t>(x - 1)];
                best = std::min(best, whole + moved + dbl(x * (a - x)) * bl + terminals(k * a + x));
            }
        }
    }
    // (iii) The far router does not depend on the group, so group 0's routers count every group's
    // crossing links twice.
    for (std::int64_t x = 1; x < a; ++x)
        for (std::int64_t start = 0; start + x <= a; ++start) {
            std::int64_t crossing = 0;
            for (std::int64_t r = 0; r < a; ++r)
                for (std::int64_t port = 0; port < h; ++port) {
                    const std::int64_t fr = far[static_cast<std::size_t>(r * h + port)];
                    crossing += (r >= start && r < start + x) != (fr >= start && fr < start + x);
                }
            const double cut = dbl(g * x * (a - x)) * bl + 0.5 * dbl(g * crossing) * bg;
            best = std::min(best, cut + terminals(g * x));
        }
    return best;
}

}  // namespace

double pairs_in_blocks(std::int64_t n, std::int64_t x) {
    if (n <= 0 || x <= 1) return 0.0;
    return dbl(n / x) * choose2(x) + choose2(n % x);
}

double pairs_in_common(std::int64_t n, std::int64_t x, std::int64_t y) {
    if (n <= 0 || x <= 1 || y <= 1) return 0.0;
    if (x % y == 0) return pairs_in_blocks(n, y);
    if (y % x == 0) return pairs_in_blocks(n, x);
    double sum = 0;
    std::int64_t pos = 0;
    while (pos < n) {
        const std::int64_t next = std::min({(pos / x + 1) * x, (pos / y + 1) * y, n});
        sum += choose2(next - pos);
        pos = next;
    }
    return sum;
}

std::optional<PortSplit> split_ports(std::int64_t radix, double oversubscription) {
    if (!(oversubscription >= 1.0) || !std::isfinite(oversubscription) || radix < 2) return std::nullopt;
    const double down_real = dbl(radix) * oversubscription / (1.0 + oversubscription);
    const auto down = static_cast<std::int64_t>(std::llround(down_real));
    const std::int64_t up = radix - down;
    if (down < 1 || up < 1) return std::nullopt;
    if (std::abs(dbl(down) - oversubscription * dbl(up)) > 1e-9 * dbl(down)) return std::nullopt;
    return PortSplit{down, up};
}

std::int64_t ClosShape::leaf_of(std::int64_t i) const {
    if (rails > 1) return (i / rails) / per_leaf * rails + i % rails;
    return i / per_leaf;
}

std::int64_t ClosShape::leaf_members_below(std::int64_t l, std::int64_t a) const {
    if (rails > 1) {
        const std::int64_t servers = group / rails;
        const std::int64_t sg = l / rails, r = l % rails;
        const std::int64_t s0 = sg * per_leaf, s1 = std::min(servers, s0 + per_leaf);
        const std::int64_t below = a > r ? ceil_div(a - r, rails) : 0;  // servers s with s*rails + r < a
        return std::clamp<std::int64_t>(below - s0, 0, std::max<std::int64_t>(0, s1 - s0));
    }
    const std::int64_t start = l * per_leaf;
    const std::int64_t len = std::min(group, start + per_leaf) - start;
    return std::clamp<std::int64_t>(a - start, 0, std::max<std::int64_t>(0, len));
}

namespace {
// Products of absurd radixes saturate instead of overflowing (found by the scenario fuzzer).
std::int64_t saturating_mul(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    return __builtin_mul_overflow(a, b, &r) ? std::numeric_limits<std::int64_t>::max() : r;
}
}  // namespace

std::int64_t ClosShape::capacity() const {
    if (tiers == 1) return per_leaf;
    if (tiers == 2) return rails > 1 ? saturating_mul(saturating_mul(d2 / rails, per_leaf), rails) : saturating_mul(d2, per_leaf);
    return saturating_mul(saturating_mul(k3, d2), per_leaf);
}

ClosShape clos_shape(const ClosNetwork& n, std::int64_t group) {
    ClosShape s;
    s.tiers = static_cast<int>(n.tiers.size());
    s.group = group;
    s.h = n.links_per_accelerator;
    s.rails = n.rails;
    const auto& t1 = n.tiers[0];
    s.b0 = t1.down_link.bandwidth.si();
    if (s.tiers == 1) {
        s.d1 = t1.radix;
    } else {
        const auto sp = split_ports(t1.radix, t1.oversubscription).value_or(PortSplit{});
        s.d1 = sp.down;
        s.u1 = sp.up;
    }
    s.per_leaf = s.h > 0 ? s.d1 / s.h : 0;
    if (s.per_leaf <= 0) return s;
    if (s.rails > 1) {
        s.leaves = ceil_div(group / s.rails, s.per_leaf) * s.rails;
    } else {
        s.leaves = ceil_div(group, s.per_leaf);
    }
    s.leaves_per_pod = s.leaves;
    if (s.tiers == 2) {
        s.d2 = n.tiers[1].radix;
        s.tier2 = spines_needed(s.u1, s.leaves, s.d2);
        s.m1 = s.tier2 > 0 ? s.u1 / s.tier2 : 1;
        s.b1 = n.tiers[1].down_link.bandwidth.si();
    } else if (s.tiers == 3) {
        const auto sp = split_ports(n.tiers[1].radix, n.tiers[1].oversubscription).value_or(PortSplit{});
        s.d2 = sp.down;
        s.u2 = sp.up;
        s.k3 = n.tiers[2].radix;
        s.b1 = n.tiers[1].down_link.bandwidth.si();
        s.b2 = n.tiers[2].down_link.bandwidth.si();
        if (s.d2 > 0) {
            s.leaves_per_pod = s.d2;
            s.pods = ceil_div(s.leaves, s.d2);
        }
        s.tier2 = s.pods * s.u1;
        s.core_per_group = spines_needed(s.u2, s.pods, s.k3);
        s.m2 = s.core_per_group > 0 ? s.u2 / s.core_per_group : 1;
        s.tier3 = s.u1 * s.core_per_group;
    }
    return s;
}

std::int64_t spines_needed(std::int64_t up, std::int64_t blocks, std::int64_t radix) {
    if (blocks <= 1 || up <= 0 || radix <= 0) return 0;
    // up * blocks <= up * radix (validated capacity), so s = up always qualifies.
    const std::int64_t need = ceil_div(saturating_mul(up, blocks), radix);
    for (std::int64_t s = std::max<std::int64_t>(need, 1); s < up; ++s)
        if (up % s == 0) return s;
    return up;
}

std::int64_t clos_capacity(const ClosNetwork& n) {
    if (n.tiers.empty() || n.tiers.size() > 3 || n.links_per_accelerator < 1 || n.rails < 1) return 0;
    if (n.tiers.size() > 1 && !split_ports(n.tiers[0].radix, n.tiers[0].oversubscription)) return 0;
    if (n.tiers.size() == 3 && !split_ports(n.tiers[1].radix, n.tiers[1].oversubscription)) return 0;
    return clos_shape(n, 0).capacity();
}

GlobalEnd dragonfly_global_end(const DragonflyNetwork& d, std::int64_t group, std::int64_t router, std::int64_t port) {
    const std::int64_t g = d.groups, h = d.global_links_per_router;
    const std::int64_t q = router * h + port;
    const std::int64_t offset = q % (g - 1) + 1;
    const std::int64_t copy = q / (g - 1);
    const std::int64_t far_port = copy * (g - 1) + (g - offset - 1);
    return GlobalEnd{(group + offset) % g, far_port / h};
}

LevelShape level_shape(const LevelParams& level) {
    const std::int64_t g = level.group_size;
    return std::visit(
        overloaded{
            [&](const ClosNetwork& n) {
                const ClosShape s = clos_shape(n, g);
                LevelShape ls;
                ls.planes = n.planes;
                const auto& t = n.tiers;
                ls.switches.push_back({t[0].name, 1, t[0].radix, s.leaves});
                ls.links.push_back({"accelerator-" + t[0].name, t[0].down_link, g * s.h});
                if (s.tiers == 2) {
                    ls.switches.push_back({t[1].name, 2, t[1].radix, s.tier2});
                    ls.links.push_back(
                        {t[0].name + "-" + t[1].name, t[1].down_link, s.tier2 > 0 ? s.leaves * s.u1 : 0});
                }
                if (s.tiers == 3) {
                    ls.switches.push_back({t[1].name, 2, t[1].radix, s.tier2});
                    ls.links.push_back({t[0].name + "-" + t[1].name, t[1].down_link, s.leaves * s.u1});
                    ls.switches.push_back({t[2].name, 3, t[2].radix, s.tier3});
                    ls.links.push_back(
                        {t[1].name + "-" + t[2].name, t[2].down_link, s.tier3 > 0 ? s.pods * s.u1 * s.u2 : 0});
                }
                ls.injection_Bps = dbl(n.planes * s.h) * s.b0;
                return ls;
            },
            [&](const FullMeshNetwork& m) {
                LevelShape ls;
                for (std::size_t i = 0; i < m.dims.size(); ++i) {
                    const auto& d = m.dims[i];
                    ls.links.push_back({"dim" + std::to_string(i), d.link, g / d.size * d.size * (d.size - 1) / 2});
                    ls.injection_Bps += dbl(d.size - 1) * d.link.bandwidth.si();
                }
                if (m.spares_per_block > 0) {
                    ls.spares = m.spares_per_block * (g / m.spare_block);
                    ls.links.push_back({"spare", m.spare_link, ls.spares * (m.spare_block / m.dims.front().size)});
                }
                return ls;
            },
            [&](const TorusNetwork& t) {
                LevelShape ls;
                for (std::size_t i = 0; i < t.dims.size(); ++i) {
                    const std::int64_t k = t.dims[i];
                    ls.links.push_back({"dim" + std::to_string(i), t.link, k >= 3 ? g : g / 2});
                    ls.injection_Bps += (k >= 3 ? 2.0 : 1.0) * t.link.bandwidth.si();
                }
                return ls;
            },
            [&](const DragonflyNetwork& d) {
                LevelShape ls;
                const std::int64_t a = d.routers_per_group, h = d.global_links_per_router;
                ls.switches.push_back({d.router_name, 1, d.terminals_per_router + a - 1 + h, a * d.groups});
                ls.links.push_back({"terminal", d.terminal_link, g});
                ls.links.push_back({"local", d.local_link, d.groups * a * (a - 1) / 2});
                ls.links.push_back({"global", d.global_link, d.groups * a * h / 2});
                ls.injection_Bps = d.terminal_link.bandwidth.si();
                return ls;
            },
        },
        level.network);
}

PairStats pair_stats(const LevelParams& level, std::int64_t subgroup) {
    return std::visit(overloaded{
                          [&](const ClosNetwork& n) { return clos_pairs(n, level.group_size, subgroup); },
                          [&](const FullMeshNetwork& m) { return mesh_pairs(m, subgroup); },
                          [&](const TorusNetwork& t) { return torus_pairs(t, subgroup); },
                          [&](const DragonflyNetwork& d) { return dragonfly_pairs(d); },
                      },
                      level.network);
}

std::optional<double> prefix_flow_Bps(const LevelParams& level, std::int64_t a) {
    if (a <= 0 || a >= level.group_size) return 0.0;
    return std::visit(
        overloaded{
            [&](const ClosNetwork& n) -> std::optional<double> { return clos_prefix_flow(n, level.group_size, a); },
            [&](const FullMeshNetwork& m) -> std::optional<double> { return mesh_prefix_flow(m, a); },
            [&](const TorusNetwork& t) -> std::optional<double> { return torus_prefix_flow(t, a); },
            [&](const DragonflyNetwork& d) -> std::optional<double> { return dragonfly_prefix_flow(d, a); },
        },
        level.network);
}

std::optional<double> bisection_Bps(const LevelParams& level) {
    const std::int64_t g = level.group_size;
    return std::visit(overloaded{
                          [&](const ClosNetwork& n) -> std::optional<double> { return clos_bisection(n, g); },
                          [&](const FullMeshNetwork& m) { return mesh_bisection(m); },
                          [&](const TorusNetwork& t) { return torus_bisection(t); },
                          [&](const DragonflyNetwork& d) -> std::optional<double> { return dragonfly_bisection(d); },
                      },
                      level.network);
}

}  // namespace clustersim::topo::detail
