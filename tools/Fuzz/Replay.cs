using System.Diagnostics;

namespace Transformer.Fuzz;

/// <summary>
/// Runs saved inputs (a corpus, AFL++'s crashes/ and hangs/ folders, a regression input) through a target
/// once each, outside AFL++, and reports what each did: the triage and regression view of a fuzz run.
/// </summary>
internal static class Replay
{
    /// <summary>An input slower than this counts as a hang, the same limit the fuzz runs give afl-fuzz (-t 1000).</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(1);

    public static int Run(FuzzTarget target, IEnumerable<string> paths)
    {
        GiveInstrumentationAMap();
        var files = paths.SelectMany<string, string>(p => Directory.Exists(p)
                ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).Order()
                : [p])
            .ToList();
        int accepted = 0, rejected = 0, crashed = 0, hung = 0;
        TimeSpan slowest = TimeSpan.Zero;
        foreach (string file in files)
        {
            byte[] input = File.ReadAllBytes(file);
            var clock = Stopwatch.StartNew();
            try
            {
                if (FuzzHarness.Execute(target, input)) rejected++;
                else accepted++;
            }
            catch (Exception e)
            {
                crashed++;
                Console.WriteLine($"CRASH {file}: {e.GetType().FullName}: {e.Message}");
                Console.WriteLine(e.StackTrace);
            }

            clock.Stop();
            if (clock.Elapsed > slowest) slowest = clock.Elapsed;
            if (clock.Elapsed > HangLimit)
            {
                hung++;
                Console.WriteLine($"HANG {file}: {clock.Elapsed.TotalMilliseconds:F0} ms");
            }
        }

        Console.WriteLine($"{target.Name}: {files.Count} inputs: {accepted} accepted, {rejected} rejected with ModelFormatException, " +
                          $"{crashed} crashed, {hung} over {HangLimit.TotalMilliseconds:F0} ms (slowest {slowest.TotalMilliseconds:F1} ms)");
        return crashed + hung == 0 && files.Count > 0 ? 0 : 1;
    }

    /// <summary>
    /// Instrumented assemblies count edges in SharpFuzz's shared map, which only afl-fuzz provides; outside it
    /// the map pointer is null and the first instrumented method would fault. A private map stands in.
    /// </summary>
    private static unsafe void GiveInstrumentationAMap()
    {
        if (SharpFuzz.Common.Trace.SharedMem == null)
            SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
    }
}
