#pragma once
// The collectives this layer models and what one call moves, with nccl-tests' size conventions
// so that algorithm and bus bandwidth mean what they mean in nccl-tests (PERFORMANCE.md).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "units/quantity.hpp"

namespace clustersim::comm {

enum class Collective : std::uint8_t { all_reduce, reduce_scatter, all_gather, all_to_all, broadcast, send_recv };

std::string_view to_string(Collective c);
/// Every collective, in declaration order.
std::vector<Collective> all_collectives();
/// The collective named `name` (to_string's spelling), if any.
std::optional<Collective> collective_from_string(std::string_view name);
/// Every collective's name, in declaration order.
std::vector<std::string> collective_names();

/// One collective call made by every group of a placement at the same moment.
/// `bytes` is nccl-tests' size S:
///  - all_reduce, broadcast: the buffer on each rank;
///  - reduce_scatter: the full input on each rank (each rank keeps bytes/p of the result);
///  - all_gather: the full output on each rank (each rank contributes bytes/p);
///  - all_to_all: what each rank sends in total, bytes/p to every rank (itself included);
///  - send_recv: what each rank sends to the next one (pipeline stages: rank r -> r+1, the last sends nothing).
/// Invariants (checked by run()): bytes >= 0 and finite; 0 <= root < p.
struct CollectiveSpec {
    Collective kind = Collective::all_reduce;
    units::Bytes bytes;
    std::int64_t root = 0;  ///< broadcast only
    /// Uneven all-to-all: p x p non-negative weights, row = sender, column = receiver (the diagonal
    /// moves nothing). Rank i sends bytes * w[i][j] / mean_k(sum_j w[k][j]) to rank j, so `bytes`
    /// stays the mean per-rank total. Empty: even (every entry 1).
    std::vector<double> uneven;
};

/// nccl-tests' busbw / algbw: 2(p-1)/p for all-reduce; (p-1)/p for reduce-scatter, all-gather and
/// all-to-all; 1 for broadcast and send/recv. 0 when p < 2 (nothing crosses a link).
double bus_factor(Collective c, std::int64_t ranks);

}  // namespace clustersim::comm
