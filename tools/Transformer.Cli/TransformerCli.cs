using System.CommandLine;
using Transformer.Cli.Commands;

namespace Transformer.Cli;

/// <summary>The <c>transformer</c> command line: its commands and how a command line is run.</summary>
public static class TransformerCli
{
    /// <summary>
    /// The commands, one per file under Commands/. Adding a command is one line here: a static
    /// <c>Create(CliContext)</c> returning a <see cref="Command"/> whose action goes through <see cref="CommandAction"/>.
    /// </summary>
    private static readonly Func<CliContext, Command>[] Commands =
    [
        RunCommand.Create,
        InspectCommand.Create,
        BenchCommand.Create,
        QuantizeCommand.Create,
        EmbedCommand.Create,
        TemplateCommand.Create,
        TokenizeCommand.Create,
        ChatCommand.Create,
        ServeCommand.Create,
        GatewayCommand.Create,
        PrecacheCommand.Create,
        EvalCommand.Create,
        TeacherCommand.Create,
        LogitsCommand.Create,
        DiffCommand.Create,
        ImportanceCommand.Create,
        PruneCommand.Create,
        StudentCommand.Create,
    ];

    /// <summary>Builds the root command for a context.</summary>
    public static RootCommand Build(CliContext context)
    {
        var root = new RootCommand("transformer: run Llama-family models (Hugging Face safetensors, llama2.c checkpoints) in pure .NET");
        root.Options.Add(CommonOptions.Verbose);
        foreach (var create in Commands) root.Subcommands.Add(create(context));
        return root;
    }

    /// <summary>
    /// Parses and runs a command line. Returns the exit code: 0 on success (a bare <c>transformer</c> prints the usage),
    /// 1 for bad input, 2 when the command line does not parse; every failure is one <c>error: </c> line on the
    /// context's error writer.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, CliContext context, CancellationToken cancellation = default)
    {
        // A bare `transformer` is someone finding out what it does: the usage, not a parse error.
        if (args.Length == 0) args = ["--help"];
        var parsed = Build(context).Parse(args);
        if (parsed.Errors.Count > 0) return CliErrors.ReportUsage(context.Error, parsed.Errors.Select(e => e.Message));
        var invocation = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            // Commands report their own failures as one line; the library's handler would print a stack trace.
            EnableDefaultExceptionHandler = false,
        };
        return await parsed.InvokeAsync(invocation, cancellation).ConfigureAwait(false);
    }
}
