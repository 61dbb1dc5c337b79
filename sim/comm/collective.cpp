#include "comm/collective.hpp"

#include "comm/error.hpp"

namespace clustersim::comm {

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

}  // namespace

UnknownAlgorithm::UnknownAlgorithm(const std::string& name, std::vector<std::string> valid_names)
    : CommError("unknown collective algorithm '" + name + "' (valid: " + join(valid_names) + ")"),
      valid_(std::move(valid_names)) {}

std::string_view to_string(Collective c) {
    switch (c) {
        case Collective::all_reduce: return "all_reduce";
        case Collective::reduce_scatter: return "reduce_scatter";
        case Collective::all_gather: return "all_gather";
        case Collective::all_to_all: return "all_to_all";
        case Collective::broadcast: return "broadcast";
        case Collective::send_recv: return "send_recv";
    }
    return "?";
}

std::vector<Collective> all_collectives() {
    return {Collective::all_reduce, Collective::reduce_scatter, Collective::all_gather,
            Collective::all_to_all, Collective::broadcast,      Collective::send_recv};
}

std::optional<Collective> collective_from_string(std::string_view name) {
    for (const auto c : all_collectives())
        if (to_string(c) == name) return c;
    return std::nullopt;
}

std::vector<std::string> collective_names() {
    std::vector<std::string> out;
    for (const auto c : all_collectives()) out.emplace_back(to_string(c));
    return out;
}

double bus_factor(Collective c, std::int64_t ranks) {
    if (ranks < 2) return 0.0;
    const double p = static_cast<double>(ranks);
    switch (c) {
        case Collective::all_reduce: return 2.0 * (p - 1.0) / p;
        case Collective::reduce_scatter:
        case Collective::all_gather:
        case Collective::all_to_all: return (p - 1.0) / p;
        case Collective::broadcast:
        case Collective::send_recv: return 1.0;
    }
    return 1.0;
}

}  // namespace clustersim::comm
