using SharpFuzz;
using Transformer.Fuzz;
using Transformer.Fuzz.Targets;

FuzzTarget[] targets =
[
    new SafetensorsTarget(),
    new ShardedIndexTarget(),
    new Llama2cCheckpointTarget(),
    new HuggingFaceConfigTarget(),
    new TokenizerJsonTarget(),
    new SentencePieceTarget(),
    new Llama2cTokenizerTarget(),
    new GgufTarget(),
];

const string Usage = """
    usage: transformer-fuzz TARGET                    run under afl-fuzz (SharpFuzz out-of-process fork server)
           transformer-fuzz TARGET --replay PATH...   run files (or every file in folders) once each, in process
           transformer-fuzz --list                    list the targets
    """;

if (args is ["--list"])
{
    foreach (var t in targets) Console.WriteLine($"{t.Name,-22} {t.Description}");
    return 0;
}

if (args.Length == 0 || targets.FirstOrDefault(t => t.Name == args[0]) is not { } target)
{
    Console.Error.WriteLine(args.Length == 0 ? Usage : $"error: unknown target '{args[0]}'; targets: {string.Join(", ", targets.Select(t => t.Name))}");
    return 2;
}

if (args.Length == 1)
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        FuzzHarness.Execute(target, buffer.ToArray());
    });
    return 0;
}

if (args[1] != "--replay" || args.Length < 3)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

return Replay.Run(target, args[2..]);
