#include "app/progress.hpp"

#include <cmath>
#include <string>

namespace clustersim::app {

namespace {

std::string grouped(std::size_t n) {
    std::string s = std::to_string(n);
    for (std::size_t i = s.size(); i > 3; i -= 3) s.insert(i - 3, ",");
    return s;
}

std::string duration(double s) {
    if (!std::isfinite(s)) return "?";
    const auto t = static_cast<long long>(std::llround(s));
    if (t < 60) return std::to_string(t) + " s";
    if (t < 3600) return std::to_string(t / 60) + " min " + std::to_string(t % 60) + " s";
    return std::to_string(t / 3600) + " h " + std::to_string(t % 3600 / 60) + " min";
}

}  // namespace

std::string Progress::line(std::size_t done, std::size_t total, std::size_t resumed, double elapsed_s) {
    constexpr int bar = 24;
    const double frac = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    const int filled = static_cast<int>(frac * bar);
    std::string out = "[";
    for (int i = 0; i < bar; ++i) out += i < filled ? '=' : (i == filled ? '>' : ' ');
    out += "] " + std::to_string(static_cast<int>(frac * 100)) + "%  " + grouped(done) + "/" + grouped(total) + " rows";
    const std::size_t fresh = done - std::min(done, resumed);  // the rate counts this run's rows only
    if (elapsed_s > 0 && fresh > 0) {
        const double rate = static_cast<double>(fresh) / elapsed_s;
        out += "  " + (rate >= 10 ? grouped(static_cast<std::size_t>(rate)) : std::to_string(rate).substr(0, 4)) + " rows/s";
        if (done < total) out += "  " + duration(static_cast<double>(total - done) / rate) + " left";
    }
    return out;
}

Progress::Progress(std::ostream& err, std::size_t total, std::size_t done, bool enabled)
    : err_(err), total_(total), resumed_(done), done_(done), enabled_(enabled), start_(std::chrono::steady_clock::now()) {
    if (!enabled_) return;
    ticker_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_; })) draw();
    });
}

Progress::~Progress() { stop(); }

void Progress::draw() {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    err_ << "\r" << line(done_.load(std::memory_order_relaxed), total_, resumed_, elapsed) << "\x1b[K" << std::flush;
}

void Progress::stop() {
    if (!enabled_) return;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    wake_.notify_all();
    ticker_.join();
    draw();
    err_ << "\n";
}

}  // namespace clustersim::app
