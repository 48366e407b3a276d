using System.Globalization;
using Transformer.Kernels.Backend;

namespace LlamaCppCompare;

/// <summary>Command-line options of the comparison.</summary>
public sealed record CompareOptions
{
    /// <summary>Synthetic preset (see Transformer.Runtime.Synthetic.SyntheticPresets).</summary>
    public string Preset { get; init; } = "smollm2-135m";
    /// <summary>A GGUF file both engines run instead of a preset's synthetic weights (null: the preset).</summary>
    public string? ModelPath { get; init; }
    /// <summary>Write the preset's synthetic weights to this GGUF (matrices in <see cref="WriteType"/>) and exit.</summary>
    public string? WriteGguf { get; init; }
    /// <summary>Matrix types of <see cref="WriteGguf"/>: q8_0, q4_0 or q4_k_m (llama.cpp's mix).</summary>
    public string WriteType { get; init; } = "q8_0";
    /// <summary>Threads for both engines.</summary>
    public int Threads { get; init; } = 2;
    /// <summary>Prompt tokens prefilled in one batch.</summary>
    public int PromptTokens { get; init; } = 128;
    /// <summary>Tokens decoded one at a time.</summary>
    public int GenTokens { get; init; } = 128;
    /// <summary>Timed repetitions after the warm-up.</summary>
    public int Repetitions { get; init; } = 3;
    /// <summary>Weight formats our engine runs in.</summary>
    public IReadOnlyList<WeightFormat> Formats { get; init; } = [WeightFormat.Q8, WeightFormat.F32];
    /// <summary>Folder for the GGUF file (large for the 1.1B preset: keep it out of the repository).</summary>
    public string GgufDirectory { get; init; } = Path.GetTempPath();
    /// <summary>Rewrite the GGUF even when a file of the same name exists.</summary>
    public bool Regenerate { get; init; }
    /// <summary>Print JSON instead of the table.</summary>
    public bool Json { get; init; }
    /// <summary>Echo llama.cpp's log to stderr.</summary>
    public bool Verbose { get; init; }
    /// <summary>Sequence counts for the batched-decode comparison (none: only the single-sequence one).</summary>
    public IReadOnlyList<int> Concurrency { get; init; } = [];
    /// <summary>KV storage of both engines in the batched comparison.</summary>
    public KvDType KvType { get; init; } = KvDType.F16;
    /// <summary>
    /// avx2 or avx512, or null for each engine's best: both engines on that instruction set (ours forced to the path,
    /// llama.cpp loading its build for that level), so an AVX-512 machine also measures what an AVX2-only one runs.
    /// </summary>
    public string? Isa { get; init; }

    /// <summary>The usage text.</summary>
    public const string Usage =
        """
        llamacpp-compare: llama.cpp (LLamaSharp 0.30.0, native CPU, Q8_0) vs this engine on the same synthetic model.
        options:
          --preset NAME        tiny, stories15m, smollm2-135m (default), tinyllama-1.1b
          --model FILE.gguf    run both engines on this very file instead (any type both load, e.g. Q8_0, Q4_0;
                               ours keeps its blocks as stored); --quant, --gguf-dir and --regenerate do not apply
          --write-gguf FILE    write the preset's synthetic weights to FILE as a GGUF (GgufModelWriter: matrices in
                               --type q8_0 (default), q4_0 or q4_k_m (llama.cpp's Q4_K_M mix), vectors F32, a
                               synthetic vocabulary) and exit;
                               then compare on it with --model FILE
          --threads N          threads for both engines (default 2)
          --prompt-tokens N    prompt prefilled in one batch (default 128)
          --gen-tokens N       tokens decoded one at a time (default 128)
          --reps N             timed repetitions after a warm-up; the best is reported (default 3)
          --quant F            our engine's weights: int8, f32 or both (default both)
          --gguf-dir DIR       where the GGUF is written (default: the temp folder)
          --regenerate         rewrite the GGUF even if it exists
          --json               print JSON instead of the table
          --verbose            echo llama.cpp's log to stderr
          --concurrency N,N    also compare batched decode: N sequences per step (llama.cpp: N sequence ids in one
                               llama_batch, as its server does; ours: one step of N rows over the paged KV pool)
          --kv-type T          f16 (default, llama.cpp's default) or f32: how both engines store keys and values there
          --isa avx2|avx512    both engines on that instruction set: ours forced to the path, llama.cpp loading its
                               build for that level (default: each engine's best for this CPU)
        """;

    /// <summary>Parses <paramref name="args"/>.</summary>
    /// <exception cref="ArgumentException">An unknown option or a bad value, named in the message.</exception>
    public static CompareOptions Parse(IReadOnlyList<string> args)
    {
        var options = new CompareOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            int Positive() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
                ? n : throw new ArgumentException($"{name} needs a positive integer, got '{args[i]}'");
            options = name switch
            {
                "--preset" => options with { Preset = Value() },
                "--model" => options with { ModelPath = Value() },
                "--write-gguf" => options with { WriteGguf = Value() },
                "--type" => options with { WriteType = Value() is "q8_0" or "q4_0" or "q4_k_m" ? args[i] : throw new ArgumentException($"--type must be q8_0, q4_0 or q4_k_m, got '{args[i]}'") },
                "--threads" => options with { Threads = Positive() },
                "--prompt-tokens" => options with { PromptTokens = Positive() },
                "--gen-tokens" => options with { GenTokens = Positive() },
                "--reps" => options with { Repetitions = Positive() },
                "--quant" => options with { Formats = Value() switch
                {
                    "int8" => [WeightFormat.Q8],
                    "f32" => [WeightFormat.F32],
                    "both" => [WeightFormat.Q8, WeightFormat.F32],
                    var q => throw new ArgumentException($"--quant must be int8, f32 or both, got '{q}'"),
                } },
                "--gguf-dir" => options with { GgufDirectory = Value() },
                "--regenerate" => options with { Regenerate = true },
                "--json" => options with { Json = true },
                "--isa" => options with { Isa = Value() is "avx2" or "avx512" ? args[i] : throw new ArgumentException($"--isa must be avx2 or avx512, got '{args[i]}'") },
                "--verbose" => options with { Verbose = true },
                "--concurrency" => options with { Concurrency = Levels(name, Value()) },
                "--kv-type" => options with { KvType = Value() switch
                {
                    "f16" => KvDType.F16,
                    "f32" => KvDType.F32,
                    var t => throw new ArgumentException($"--kv-type must be f16 or f32, got '{t}'"),
                } },
                _ => throw new ArgumentException($"unknown option '{name}'"),
            };
        }
        return options;
    }

    private static int[] Levels(string name, string text) =>
        text.Split(',').Select(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is > 0 and <= 256
            ? n : throw new ArgumentException($"{name} takes comma-separated counts from 1 to 256, got '{text}'")).ToArray();
}
