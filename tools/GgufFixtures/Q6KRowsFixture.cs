using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GgufFixtures;

/// <summary>
/// Rows of heavy-tailed values (Student's t, 2 degrees of freedom) and the Q6_K bytes ggml's own reference quantizer
/// (<c>quantize_row_q6_K_ref</c> of the libggml-base LLamaSharp loaded) writes for them. The synthetic models' near-normal
/// weights never make <c>make_qx_quants</c> keep its last candidate scale (nmax + 0.9); groups with an outlier do, about
/// one in eighty, so these rows check the whole search.
/// </summary>
internal static class Q6KRowsFixture
{
    private const int Rows = 24, Columns = 256, Q6KBlockBytes = 210;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private unsafe delegate void QuantizeRowQ6K(float* x, byte* y, long k);

    public static unsafe string Write()
    {
        // The library llama.cpp itself runs from (loaded by the logits runs before this).
        string library = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 6)
            .Select(f => f[^1]).First(p => Path.GetFileName(p) == "libggml-base.so");
        var quantize = Marshal.GetDelegateForFunctionPointer<QuantizeRowQ6K>(NativeLibrary.GetExport(NativeLibrary.Load(library), "quantize_row_q6_K_ref"));
        var random = new Random(0x5136);
        var rows = new JsonArray();
        var values = new float[Columns];
        var bytes = new byte[Q6KBlockBytes * Columns / 256];
        for (int r = 0; r < Rows; r++)
        {
            for (int i = 0; i < Columns; i++) values[i] = (float)(Normal(random) / Math.Sqrt((Square(Normal(random)) + Square(Normal(random))) / 2));
            fixed (float* x = values)
            fixed (byte* y = bytes)
                quantize(x, y, Columns);
            rows.Add(new JsonObject
            {
                ["values"] = new JsonArray([.. values.Select(v => (JsonNode)v)]),
                ["q6_k"] = Convert.ToHexStringLower(bytes),
            });
        }
        return new JsonObject
        {
            ["producer"] = $"tools/GgufFixtures: ggml's quantize_row_q6_K_ref ({Path.GetFileName(Path.GetDirectoryName(library))}/libggml-base.so of NuGet LLamaSharp.Backend.Cpu 0.30.0) on Student-t(2) rows, seed 0x5136",
            ["rows"] = rows,
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = false });

        static double Square(double v) => v * v;
        static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
    }
}
