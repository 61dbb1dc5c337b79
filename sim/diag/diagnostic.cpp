#include "diag/diagnostic.hpp"

#include <algorithm>
#include <numeric>
#include <tuple>

namespace clustersim::diag {

std::string format(const Diagnostic& d) {
    std::string out = d.where.file;
    if (d.where.line > 0) {
        out += ":" + std::to_string(d.where.line);
        if (d.where.column > 0) out += ":" + std::to_string(d.where.column);
    }
    out += ": error: ";
    if (!d.key_path.empty()) out += d.key_path + ": ";
    return out + d.message;
}

void Diagnostics::error(Location where, std::string key_path, std::string message) {
    items_.push_back(Diagnostic{std::move(where), std::move(key_path), std::move(message)});
}

std::vector<Diagnostic> Diagnostics::sorted() const {
    std::vector<std::size_t> order(items_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [this](std::size_t a, std::size_t b) {
        const auto& x = items_[a].where;
        const auto& y = items_[b].where;
        return std::tie(x.file, x.line, x.column) < std::tie(y.file, y.line, y.column);
    });
    // The same problem reached twice (e.g. once per sweep point) is reported once.
    std::vector<Diagnostic> out;
    out.reserve(items_.size());
    for (auto i : order) {
        const auto& d = items_[i];
        const bool repeated = std::any_of(out.begin(), out.end(), [&d](const Diagnostic& o) {
            return o.where.file == d.where.file && o.where.line == d.where.line &&
                   o.where.column == d.where.column && o.key_path == d.key_path && o.message == d.message;
        });
        if (!repeated) out.push_back(d);
    }
    return out;
}

void Diagnostics::throw_if_any() const {
    if (!items_.empty()) throw InputError(sorted());
}

void Diagnostics::append(const Diagnostics& other) {
    items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

InputError::InputError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(diagnostics.empty() ? std::string("invalid input") : format(diagnostics.front())),
      diagnostics_(std::move(diagnostics)) {}

}  // namespace clustersim::diag
