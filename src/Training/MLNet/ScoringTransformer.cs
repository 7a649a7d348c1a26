using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNetExt.Training.MLNet;

/// <summary>
/// Base of every MLNetExt model transformer. A model supplies what it reads (<see cref="InputColumns"/>,
/// <see cref="MakeItemReader"/>), what a row costs (<see cref="Cost"/>), one batched model call
/// (<see cref="ScoreBatch"/>), what it outputs (<see cref="OutputColumns"/>) and what it saves
/// (<see cref="Version"/>, <see cref="SavePayload"/>). The base gives lazy, read-ahead batched
/// <see cref="Transform"/>, a row-to-row mapper for prediction engines, and native ML.NET saving.
/// </summary>
/// <remarks>
/// To make a saved model loadable, the derived class registers its loader in its assembly, and declares a static
/// <c>Create</c> that returns exactly <see cref="ITransformer"/> (ML.NET matches the return type to the first type below):
/// <code>
/// [assembly: LoadableClass(typeof(ITransformer), typeof(MyTransformer), null, typeof(SignatureLoadModel), "My model", MyTransformer.LoaderSignature)]
/// static ITransformer Create(IHostEnvironment env, ModelLoadContext ctx) => new MyTransformer(env, Open(ctx, VersionInfo()));
/// </code>
/// The project needs <c>&lt;UsesMLNetInternals&gt;true&lt;/UsesMLNetInternals&gt;</c> (build/MLNetExt.MLNetInternals.targets).
/// </remarks>
/// <typeparam name="TItem">What the model needs of one row (e.g. its token ids), read as rows stream past.</typeparam>
/// <typeparam name="TResult">The model's output for one row (e.g. class scores).</typeparam>
public abstract class ScoringTransformer<TItem, TResult> : ITransformer, ICanSaveModel
{
    readonly Lock _modelLock = new();
    long _modelCalls;

    protected IHost Host { get; }
    public ScoringOptions Scoring { get; }

    /// <summary>How many batched model calls this transformer has made (all cursors and mappers together).</summary>
    public long ModelCalls => Interlocked.Read(ref _modelCalls);

    protected ScoringTransformer(IHostEnvironment env, string name, ScoringOptions scoring)
    {
        ArgumentNullException.ThrowIfNull(env);
        Host = env.Register(name);
        scoring.Validate();
        Scoring = scoring;
    }

    /// <summary>For loaders: <paramref name="saved"/> comes from <see cref="Open"/>.</summary>
    protected ScoringTransformer(IHostEnvironment env, string name, SavedModelReader saved)
        : this(env, name, saved.Scoring) { }

    /// <summary>Checks the folder's version stamp and reads the scoring options; the rest is the model's to read.</summary>
    protected static SavedModelReader Open(ModelLoadContext ctx, VersionInfo version)
    {
        ctx.CheckAtModel(version);
        var scoring = new ScoringOptions(ctx.Reader.ReadInt32(), ctx.Reader.ReadInt32());
        scoring.Validate();
        return new SavedModelReader(ctx, scoring);
    }

    /// <summary>The columns the model reads; checked against every input schema.</summary>
    protected abstract IReadOnlyList<ColumnRequirement> InputColumns { get; }

    /// <summary>The columns the model adds, in order.</summary>
    protected abstract IReadOnlyList<ScoreColumn<TResult>> OutputColumns { get; }

    /// <summary>Returns a function reading the model's item from <paramref name="input"/>'s current row. Called once per cursor.</summary>
    protected abstract Func<TItem> MakeItemReader(DataViewRow input);

    /// <summary>What <paramref name="item"/> costs against <see cref="ScoringOptions.TokenBudget"/>.</summary>
    protected abstract int Cost(TItem item);

    /// <summary>One model call over a batch; returns one result per item, in order. Never called concurrently.</summary>
    protected abstract TResult[] ScoreBatch(IReadOnlyList<TItem> items);

    /// <summary>The version stamp written into the saved folder; the loader checks the same one.</summary>
    protected abstract VersionInfo Version { get; }

    /// <summary>Writes the model's config, weights and anything else it needs to score (see <see cref="SavedModel"/>).</summary>
    protected abstract void SavePayload(SavedModelWriter writer);

    public bool IsRowToRowMapper => true;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Bind(inputSchema).OutputSchema;

    /// <summary>Lazy: nothing is scored until a cursor asks for an output column.</summary>
    public IDataView Transform(IDataView input) => new ScoringDataView<TItem, TResult>(this, input, Bind(input.Schema));

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new ScoringRowMapper<TItem, TResult>(this, Bind(inputSchema));

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(Version);
        ctx.Writer.Write(Scoring.TokenBudget);
        ctx.Writer.Write(Scoring.MaxRows);
        SavePayload(new SavedModelWriter(ctx));
    }

    internal ScoringBindings<TResult> Bind(DataViewSchema inputSchema)
    {
        var inputs = InputColumns.Select(c => c.Find(inputSchema)).ToArray();
        return new ScoringBindings<TResult>(inputSchema, inputs, OutputColumns);
    }

    internal Func<TItem> ItemReader(DataViewRow input) => MakeItemReader(input);

    internal int CostOf(TItem item) => Cost(item);

    internal TResult[] Score(IReadOnlyList<TItem> items)
    {
        Host.CheckAlive();
        TResult[] results;
        lock (_modelLock)
        {
            results = ScoreBatch(items);
            _modelCalls++;
        }
        if (results.Length != items.Count)
            throw new InvalidOperationException($"{Host.ContextDescription} returned {results.Length} results for a batch of {items.Count} rows.");
        return results;
    }
}
