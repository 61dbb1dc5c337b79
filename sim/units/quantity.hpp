#pragma once
// Strong types for the few physical quantities clustersim computes with.
// Every value is held in SI base units (seconds, bytes, FLOP, watts, joules; money in US dollars);
// only meaningful cross-type operators exist, so a unit cannot get lost
// (bytes / (bytes/s) -> seconds, never a bare double).
#include <compare>

namespace clustersim::units {

template <class Tag>
class Quantity {
public:
    constexpr Quantity() = default;
    constexpr explicit Quantity(double value_si) : si_(value_si) {}

    /// The value in SI base units (s, B, FLOP, B/s, FLOP/s, W, J).
    [[nodiscard]] constexpr double si() const { return si_; }

    friend constexpr Quantity operator+(Quantity a, Quantity b) { return Quantity(a.si_ + b.si_); }
    friend constexpr Quantity operator-(Quantity a, Quantity b) { return Quantity(a.si_ - b.si_); }
    friend constexpr Quantity operator*(Quantity a, double k) { return Quantity(a.si_ * k); }
    friend constexpr Quantity operator*(double k, Quantity a) { return Quantity(a.si_ * k); }
    friend constexpr Quantity operator/(Quantity a, double k) { return Quantity(a.si_ / k); }
    /// Ratio of two like quantities is a plain number.
    friend constexpr double operator/(Quantity a, Quantity b) { return a.si_ / b.si_; }
    constexpr Quantity& operator+=(Quantity b) { si_ += b.si_; return *this; }
    friend constexpr auto operator<=>(Quantity, Quantity) = default;

private:
    double si_ = 0.0;
};

struct SecondsTag {};
struct BytesTag {};
struct BytesPerSecondTag {};
struct FlopsTag {};
struct FlopsPerSecondTag {};
struct WattsTag {};
struct JoulesTag {};
struct UsdTag {};
struct AreaTag {};

using Seconds = Quantity<SecondsTag>;
using Bytes = Quantity<BytesTag>;                    ///< data size; bits are stored as bytes / 8
using BytesPerSecond = Quantity<BytesPerSecondTag>;  ///< data rate, one direction unless a name says otherwise
using Flops = Quantity<FlopsTag>;                    ///< floating-point (or integer) operations
using FlopsPerSecond = Quantity<FlopsPerSecondTag>;  ///< operation rate (FLOP/s, or OP/s for INT8)
using Watts = Quantity<WattsTag>;
using Joules = Quantity<JoulesTag>;
using Usd = Quantity<UsdTag>;  ///< money in US dollars (prices as a source states them, not inflation-adjusted)
using Area = Quantity<AreaTag>;  ///< silicon area in m^2 (die sizes are written in mm2)

constexpr Seconds operator/(Bytes b, BytesPerSecond r) { return Seconds(b.si() / r.si()); }
constexpr Seconds operator/(Flops f, FlopsPerSecond r) { return Seconds(f.si() / r.si()); }
constexpr Bytes operator*(BytesPerSecond r, Seconds t) { return Bytes(r.si() * t.si()); }
constexpr Flops operator*(FlopsPerSecond r, Seconds t) { return Flops(r.si() * t.si()); }
constexpr Joules operator*(Watts p, Seconds t) { return Joules(p.si() * t.si()); }

}  // namespace clustersim::units
