#include "comm/pattern.hpp"

namespace clustersim::comm {

namespace {

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

std::int64_t product(const std::vector<std::int64_t>& v) {
    std::int64_t n = 1;
    for (const auto x : v) n *= x;
    return n;
}

std::string lines_text(const Lines& l) {
    std::string s = "shape ";
    for (std::size_t i = 0; i < l.shape.size(); ++i) s += (i ? "x" : "") + std::to_string(l.shape[i]);
    return s + ", dim " + std::to_string(l.dim);
}

}  // namespace

Lines flat(std::int64_t p) { return Lines{{p}, 0}; }

std::int64_t pattern_ranks(const Pattern& p) {
    return std::visit(overloaded{[](const MatrixFlows& m) { return m.ranks; },
                                 [](const auto& x) { return product(x.lines.shape); }},
                      p);
}

std::string describe(const Pattern& p) {
    return std::visit(overloaded{
                          [](const RingFlows& x) {
                              return std::string(x.bidirectional ? "bidirectional ring" : "ring") + "(" +
                                     lines_text(x.lines) +
                                     (x.domain > 1 ? ", " + std::to_string(x.domain) + " rings" : "") + ")";
                          },
                          [](const XorFlows& x) {
                              return "xor(" + lines_text(x.lines) + ", distance " + std::to_string(x.distance) + ")";
                          },
                          [](const TreeFlows& x) {
                              return "double binary tree(" + lines_text(x.lines) + ", chains of " +
                                     std::to_string(x.domain) + ")";
                          },
                          [](const ChainFlows& x) { return "chain(" + lines_text(x.lines) + ")"; },
                          [](const BinaryTreeFlows& x) { return "binary tree(" + lines_text(x.lines) + ")"; },
                          [](const CompleteFlows& x) { return "complete(" + lines_text(x.lines) + ")"; },
                          [](const MatrixFlows& x) { return "matrix(" + std::to_string(x.ranks) + " ranks)"; },
                          [](const InNetworkFlows& x) { return "in-network(" + lines_text(x.lines) + ")"; },
                      },
                      p);
}

// Port of ncclGetBtree (NCCL src/graph/trees.cc): a binary tree on ranks 0..n-1 rooted at 0 that
// alternates leaves and inner nodes, found by bit manipulation.
BtreeNode btree(std::int64_t n, std::int64_t rank) {
    BtreeNode t;
    std::int64_t bit = 1;
    for (; bit < n; bit <<= 1)
        if (bit & rank) break;
    if (rank == 0) {
        if (n > 1) t.down1 = bit >> 1;
        return t;
    }
    std::int64_t up = (rank ^ bit) | (bit << 1);
    if (up >= n) up = rank ^ bit;
    t.up = up;
    std::int64_t low = bit >> 1;
    t.down0 = low == 0 ? -1 : rank - low;
    std::int64_t d1 = low == 0 ? -1 : rank + low;
    while (d1 >= n) {
        low >>= 1;
        d1 = low == 0 ? -1 : rank + low;
    }
    t.down1 = d1;
    return t;
}

// ncclGetDtree's second tree: mirror when n is even, shift by one when odd.
BtreeNode btree_second(std::int64_t n, std::int64_t rank) {
    BtreeNode out;
    if (n % 2 == 1) {
        const BtreeNode t = btree(n, (rank - 1 + n) % n);
        auto map = [n](std::int64_t x) { return x < 0 ? -1 : (x + 1) % n; };
        out = {map(t.up), map(t.down0), map(t.down1)};
    } else {
        const BtreeNode t = btree(n, n - 1 - rank);
        auto map = [n](std::int64_t x) { return x < 0 ? -1 : n - 1 - x; };
        out = {map(t.up), map(t.down0), map(t.down1)};
    }
    return out;
}

}  // namespace clustersim::comm
