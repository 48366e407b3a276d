using Transformer.Cli.Devices;
using Transformer.Kernels.Cpu.Isa;

namespace Transformer.Cli.Bench;

/// <summary>One configuration the bench measures.</summary>
/// <param name="Preset">Synthetic model shape (see <see cref="Runtime.Synthetic.SyntheticPresets"/>).</param>
/// <param name="Isa">CPU kernel path.</param>
/// <param name="Weights">Stored dtype and backend format of the weights.</param>
/// <param name="Threads">Worker threads; 0 uses every core.</param>
/// <param name="PromptTokens">Tokens of the prefilled prompt (one batched pass).</param>
/// <param name="GenTokens">Tokens decoded one at a time after the prompt.</param>
/// <param name="Device">The --device that runs it: cpu (the ISA applies) or a GPU device.</param>
/// <param name="Repetitions">Timed runs after the warm-up; the best prefill and the best decode are reported.</param>
/// <param name="ModelPath">A model file or folder to bench instead of the preset's synthetic weights (any format the
/// engine loads; a pre-quantized file or a Q8_0/Q4_0 GGUF keeps its own weights whatever <paramref name="Weights"/> says).</param>
public sealed record BenchSettings(string Preset, CpuIsa Isa, BenchWeights Weights, int Threads, int PromptTokens, int GenTokens,
    string Device = DeviceOption.Cpu, int Repetitions = 1, string? ModelPath = null);
