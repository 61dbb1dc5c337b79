#pragma once
// What one step of an algorithm sends, in rank terms, for one group; every group of the placement
// does the same at the same moment. Weights are multiples of the stage's unit (a fraction of the
// collective's bytes), so one analysis of a pattern serves every message size.
//
// A group's ranks are laid out as mixed-radix coordinates (`Lines::shape`, dimension 0 fastest);
// a pattern acts independently on every line along `Lines::dim` (all ranks that differ only in
// that coordinate), a line's positions being that coordinate. A flat pattern has shape {p}.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace clustersim::comm {

struct Lines {
    std::vector<std::int64_t> shape;  ///< product = ranks per group
    std::size_t dim = 0;

    [[nodiscard]] std::int64_t length() const { return shape[dim]; }
    [[nodiscard]] std::int64_t stride() const {
        std::int64_t s = 1;
        for (std::size_t i = 0; i < dim; ++i) s *= shape[i];
        return s;
    }
    [[nodiscard]] std::int64_t position(std::int64_t rank) const { return rank / stride() % length(); }
    /// The rank at position j of rank r's line.
    [[nodiscard]] std::int64_t rank_at(std::int64_t r, std::int64_t j) const {
        return r + (j - position(r)) * stride();
    }
    friend bool operator==(const Lines&, const Lines&) = default;
};

/// A flat line over p ranks.
Lines flat(std::int64_t p);

/// Rings over each line. `domain` > 1 (dividing the line length into D = length/domain blocks of
/// consecutive positions): `domain` rings, ring c entering every block at its position c and
/// leaving it at c - 1, so the links between blocks are spread over every position (NCCL's
/// channels over the NICs of a node). Each rank sends one unit per step in total: (m-1)/m to the
/// next position of its block and 1/m to the same next position in the next block.
/// Bidirectional (domain 1 only): half a unit each way round.
struct RingFlows {
    Lines lines;
    std::int64_t domain = 1;
    bool bidirectional = false;
    friend bool operator==(const RingFlows&, const RingFlows&) = default;
};

/// Exchange with the partner at position j XOR distance (recursive halving / doubling), one unit.
struct XorFlows {
    Lines lines;
    std::int64_t distance = 1;
    friend bool operator==(const XorFlows&, const XorFlows&) = default;
};

/// NCCL's double binary tree (src/graph/trees.cc) with one tree per channel: the line is cut into
/// D = length/domain blocks of `domain` consecutive positions (scale-up domains). Channel c (of
/// `domain`) carries 1/domain of the data: inside every block a chain from position c (its head)
/// through c+1, ... to c-1, and over the D heads two binary trees (the second mirrored for an even
/// D, shifted by one for an odd D), each carrying half the channel's data. Reduction (up) and
/// broadcast (down) streams are pipelined, so every edge carries its share in both directions at
/// once: a chain edge 1/domain, a tree edge 1/(2 domain). Channels use different heads, hence
/// different NICs, as NCCL's channels do. domain 1: one double binary tree over all positions.
struct TreeFlows {
    Lines lines;
    std::int64_t domain = 1;
    friend bool operator==(const TreeFlows&, const TreeFlows&) = default;
};

/// A pipelined chain from `root` (positions root, root+1, ... mod length): one unit per edge.
/// With root 0 and `wrap` false this is a pipeline of stages; broadcast uses it from its root.
struct ChainFlows {
    Lines lines;
    std::int64_t root = 0;
    friend bool operator==(const ChainFlows&, const ChainFlows&) = default;
};

/// A pipelined binary heap tree from `root` (rotated positions j: children 2j+1, 2j+2), one unit per edge.
struct BinaryTreeFlows {
    Lines lines;
    std::int64_t root = 0;
    friend bool operator==(const BinaryTreeFlows&, const BinaryTreeFlows&) = default;
};

/// Every ordered pair of distinct positions of a line, one unit each.
struct CompleteFlows {
    Lines lines;
    friend bool operator==(const CompleteFlows&, const CompleteFlows&) = default;
};

/// Flat: rank i sends weights[i * p + j] units to rank j (diagonal ignored).
struct MatrixFlows {
    std::int64_t ranks = 0;
    std::vector<double> weights;
    friend bool operator==(const MatrixFlows&, const MatrixFlows&) = default;
};

/// In-network reduction: every line's ranks send `up` units into the switches of the lowest level
/// that holds the whole line, which reduce and send `down` units back to every rank.
struct InNetworkFlows {
    Lines lines;
    double up = 1.0;
    double down = 1.0;
    friend bool operator==(const InNetworkFlows&, const InNetworkFlows&) = default;
};

using Pattern = std::variant<RingFlows, XorFlows, TreeFlows, ChainFlows, BinaryTreeFlows, CompleteFlows, MatrixFlows,
                             InNetworkFlows>;

/// Ranks of a group (product of the shape).
std::int64_t pattern_ranks(const Pattern& p);
/// Short text, e.g. "ring(shape 8x4, dim 1)".
std::string describe(const Pattern& p);

/// Calls f(target_rank, weight) for every flow rank r sends (sparse patterns: not CompleteFlows or
/// InNetworkFlows). Flows of weight 0 and flows to itself are never reported.
template <class F>
void for_each_out(const RingFlows& p, std::int64_t r, F&& f);
template <class F>
void for_each_out(const XorFlows& p, std::int64_t r, F&& f);
template <class F>
void for_each_out(const TreeFlows& p, std::int64_t r, F&& f);
template <class F>
void for_each_out(const ChainFlows& p, std::int64_t r, F&& f);
template <class F>
void for_each_out(const BinaryTreeFlows& p, std::int64_t r, F&& f);
template <class F>
void for_each_out(const MatrixFlows& p, std::int64_t r, F&& f);

/// One step shape of an algorithm: `pattern` runs `repeats` times back to back (bandwidth term)
/// with `unit` x bytes per weight unit; latency: `latency_steps` steps at the highest level the
/// pattern's flows use plus `inner_latency_steps` at the lowest.
struct Stage {
    std::string name;
    Pattern pattern;
    double unit = 1.0;  ///< bytes per weight unit / the collective's bytes
    double repeats = 1.0;
    double latency_steps = 1.0;
    double inner_latency_steps = 0.0;
    /// Further peers a rank writes to at once (one-sided all-to-all): each adds the top level's
    /// LevelCost::one_sided->peer_latency (set only where that library exists).
    double peer_steps = 0.0;
};

/// An algorithm's stages, run one after the other.
struct Schedule {
    std::vector<Stage> stages;
};

// ------------------------------------------------------------------------------ inline bodies

/// NCCL's binary tree over n ranks (src/graph/trees.cc, ncclGetBtree): parent and two children (-1: none).
struct BtreeNode {
    std::int64_t up = -1, down0 = -1, down1 = -1;
};
BtreeNode btree(std::int64_t n, std::int64_t rank);
/// The second tree of NCCL's double binary tree: mirrored (n even) or shifted by one (n odd).
BtreeNode btree_second(std::int64_t n, std::int64_t rank);

template <class F>
void for_each_out(const RingFlows& p, std::int64_t r, F&& f) {
    const std::int64_t q = p.lines.length();
    if (q < 2) return;
    const std::int64_t j = p.lines.position(r);
    if (p.bidirectional) {
        f(p.lines.rank_at(r, (j + 1) % q), 0.5);
        f(p.lines.rank_at(r, (j + q - 1) % q), 0.5);
        return;
    }
    const std::int64_t m = p.domain;
    const std::int64_t blocks = q / m;
    const std::int64_t d = j / m, l = j % m;
    const std::int64_t next_l = (l + 1) % m;
    if (blocks == 1) {
        f(p.lines.rank_at(r, d * m + next_l), 1.0);
        return;
    }
    const double w = 1.0 / static_cast<double>(m);
    if (m > 1) f(p.lines.rank_at(r, d * m + next_l), 1.0 - w);
    f(p.lines.rank_at(r, (d + 1) % blocks * m + next_l), w);
}

template <class F>
void for_each_out(const XorFlows& p, std::int64_t r, F&& f) {
    const std::int64_t j = p.lines.position(r);
    const std::int64_t k = j ^ p.distance;
    if (k < p.lines.length() && k != j) f(p.lines.rank_at(r, k), 1.0);
}

template <class F>
void for_each_out(const TreeFlows& p, std::int64_t r, F&& f) {
    const std::int64_t q = p.lines.length();
    const std::int64_t m = p.domain;
    const std::int64_t blocks = q / m;
    const std::int64_t j = p.lines.position(r);
    const std::int64_t d = j / m, l = j % m;
    if (m > 1) {
        // Chains: every channel but the one this rank heads sends up to l-1; every channel but the
        // one whose chain ends here sends down to l+1.
        const double w = static_cast<double>(m - 1) / static_cast<double>(m);
        f(p.lines.rank_at(r, d * m + (l + m - 1) % m), w);
        f(p.lines.rank_at(r, d * m + (l + 1) % m), w);
    }
    if (blocks < 2) return;
    const double w = 0.5 / static_cast<double>(m);  // channel l, half its data per tree
    for (const BtreeNode& t : {btree(blocks, d), btree_second(blocks, d)}) {
        if (t.up >= 0) f(p.lines.rank_at(r, t.up * m + l), w);
        if (t.down0 >= 0) f(p.lines.rank_at(r, t.down0 * m + l), w);
        if (t.down1 >= 0) f(p.lines.rank_at(r, t.down1 * m + l), w);
    }
}

template <class F>
void for_each_out(const ChainFlows& p, std::int64_t r, F&& f) {
    const std::int64_t q = p.lines.length();
    const std::int64_t j = (p.lines.position(r) - p.root % q + q) % q;  // rotated
    if (j + 1 < q) f(p.lines.rank_at(r, (j + 1 + p.root) % q), 1.0);
}

template <class F>
void for_each_out(const BinaryTreeFlows& p, std::int64_t r, F&& f) {
    const std::int64_t q = p.lines.length();
    const std::int64_t j = (p.lines.position(r) - p.root % q + q) % q;
    for (const std::int64_t c : {2 * j + 1, 2 * j + 2})
        if (c < q) f(p.lines.rank_at(r, (c + p.root) % q), 1.0);
}

template <class F>
void for_each_out(const MatrixFlows& p, std::int64_t r, F&& f) {
    const auto row = static_cast<std::size_t>(r * p.ranks);
    for (std::int64_t j = 0; j < p.ranks; ++j) {
        const double w = p.weights[row + static_cast<std::size_t>(j)];
        if (j != r && w > 0) f(j, w);
    }
}

}  // namespace clustersim::comm
