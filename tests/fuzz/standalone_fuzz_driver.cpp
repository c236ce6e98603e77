// SPDX-License-Identifier: Apache-2.0
// A stand-in for libFuzzer's driver where libFuzzer cannot be used: Debian 12's clang 14 cannot
// compile Mosaic (its libstdc++ 12 <expected> needs C++20 concepts at __cpp_concepts 202002, which
// clang 14 does not report), and GCC has no -fsanitize=fuzzer. It mutates the seed files blindly
// (no coverage feedback) and calls the same LLVMFuzzerTestOneInput, so the target stays a libFuzzer
// target. Build it with -fsanitize=address,undefined. Usage:
//   driver [-max_total_time=SECONDS] [-seed=N] SEED_FILE...
// Before each run the input is written to ./fuzz-current-input, the reproducer if a sanitizer aborts.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes mutate(const std::vector<Bytes> &seeds, std::mt19937_64 &random)
{
    Bytes input = seeds[random() % seeds.size()];
    const int steps = 1 + static_cast<int>(random() % 8);
    for (int step = 0; step < steps; ++step) {
        const std::size_t at = input.empty() ? 0 : random() % input.size();
        switch (random() % 7) {
        case 0: // flip a bit
            if (!input.empty())
                input[at] ^= static_cast<std::uint8_t>(1u << (random() % 8));
            break;
        case 1: // random byte
            if (!input.empty())
                input[at] = static_cast<std::uint8_t>(random());
            break;
        case 2: { // interesting 32-bit value: DICOM lengths and counts live in these
            static constexpr std::uint32_t values[]
                = { 0, 1, 0x7f, 0xff, 0xffff, 0x7fffffff, 0xffffffff, 0x10000 };
            const std::uint32_t value = values[random() % std::size(values)];
            for (int b = 0; b < 4 && at + b < input.size(); ++b)
                input[at + b] = static_cast<std::uint8_t>(value >> (8 * b));
            break;
        }
        case 3: // delete a range
            if (!input.empty())
                input.erase(input.begin() + static_cast<std::ptrdiff_t>(at),
                    input.begin()
                        + static_cast<std::ptrdiff_t>(std::min(input.size(), at + 1 + random() % 64)));
            break;
        case 4: { // duplicate a range
            const std::size_t length = std::min<std::size_t>(input.size() - at, 1 + random() % 256);
            const Bytes copy(input.begin() + static_cast<std::ptrdiff_t>(at),
                input.begin() + static_cast<std::ptrdiff_t>(at + length));
            input.insert(input.begin() + static_cast<std::ptrdiff_t>(random() % (input.size() + 1)),
                copy.begin(), copy.end());
            break;
        }
        case 5: // truncate
            input.resize(at);
            break;
        case 6: // ASCII digits and separators: DS/IS values such as Contour Data
            if (!input.empty()) {
                static constexpr char text[] = "0123456789.-+eE\\ ";
                input[at] = static_cast<std::uint8_t>(text[random() % (sizeof text - 1)]);
            }
            break;
        }
    }
    return input;
}

} // namespace

int main(int argc, char **argv)
{
    long long seconds = 60;
    std::uint64_t seed = 1;
    std::vector<Bytes> seeds;
    for (int a = 1; a < argc; ++a) {
        if (std::strncmp(argv[a], "-max_total_time=", 16) == 0)
            seconds = std::atoll(argv[a] + 16);
        else if (std::strncmp(argv[a], "-seed=", 6) == 0)
            seed = std::strtoull(argv[a] + 6, nullptr, 10);
        else {
            std::ifstream in(argv[a], std::ios::binary);
            seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
    }
    if (seeds.empty()) {
        std::fprintf(stderr, "usage: %s [-max_total_time=S] [-seed=N] SEED_FILE...\n", argv[0]);
        return 2;
    }
    for (const Bytes &input : seeds) // every seed must pass unmutated first
        LLVMFuzzerTestOneInput(input.data(), input.size());
    std::mt19937_64 random(seed);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::uint64_t executions = 0;
    while (std::chrono::steady_clock::now() < end) {
        const Bytes input = mutate(seeds, random);
        {
            std::ofstream current("fuzz-current-input", std::ios::binary | std::ios::trunc);
            current.write(
                reinterpret_cast<const char *>(input.data()), static_cast<std::streamsize>(input.size()));
        }
        LLVMFuzzerTestOneInput(input.data(), input.size());
        if (++executions % 1000 == 0)
            std::fprintf(stderr, "#%llu executions\n", static_cast<unsigned long long>(executions));
    }
    std::fprintf(stderr, "done: %llu executions, no crash\n", static_cast<unsigned long long>(executions));
    return 0;
}
